namespace Netpoll.Protocols;

/// <summary>
/// The RFC 9110 Date header value (IMF-fixdate, always 29 bytes), formatted at most once per second and
/// shared by all connections. Formatting writes into the buffer not being read (two, swapped), so it
/// allocates nothing: a responder that copies the value finishes long before its buffer is reused a second later.
/// </summary>
internal static class HttpDate
{
    public const int Length = 29;

    private static readonly byte[][] s_buffers = [new byte[Length], new byte[Length]];
    private static readonly Lock s_gate = new();
    private static int s_current;
    private static long s_second = -1;

    public static ReadOnlySpan<byte> Current
    {
        get
        {
            long second = Environment.TickCount64 / 1000;
            if (second != Volatile.Read(ref s_second))
            {
                Refresh(second);
            }

            return s_buffers[Volatile.Read(ref s_current)];
        }
    }

    private static void Refresh(long second)
    {
        lock (s_gate)
        {
            if (second == s_second)
            {
                return;
            }

            int next = 1 - s_current;
            DateTimeOffset.UtcNow.TryFormat(s_buffers[next], out _, "R", System.Globalization.CultureInfo.InvariantCulture);
            Volatile.Write(ref s_current, next);
            Volatile.Write(ref s_second, second);
        }
    }
}
