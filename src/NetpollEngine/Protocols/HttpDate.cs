using System.Globalization;
using System.Text;

namespace Netpoll.Protocols;

/// <summary>The RFC 9110 Date header value, formatted at most once per second and shared by all connections.</summary>
internal static class HttpDate
{
    private static byte[] s_value = Format(DateTimeOffset.UtcNow);
    private static long s_second = Environment.TickCount64 / 1000;

    public static ReadOnlySpan<byte> Current
    {
        get
        {
            long second = Environment.TickCount64 / 1000;
            if (second != Volatile.Read(ref s_second))
            {
                Volatile.Write(ref s_value, Format(DateTimeOffset.UtcNow));
                Volatile.Write(ref s_second, second);
            }

            return Volatile.Read(ref s_value);
        }
    }

    private static byte[] Format(DateTimeOffset now) => Encoding.ASCII.GetBytes(now.ToString("R", CultureInfo.InvariantCulture));
}
