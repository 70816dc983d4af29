using System.Net.Sockets;

namespace Netpoll.Tests.Support;

internal static class SocketExtensions
{
    /// <summary>Receives exactly <paramref name="count"/> bytes or throws after the timeout.</summary>
    public static async Task<byte[]> ReceiveExactlyAsync(this Socket socket, int count, int timeoutMs = 10_000)
    {
        var buffer = new byte[count];
        using var cts = new CancellationTokenSource(timeoutMs);
        int got = 0;
        while (got < count)
        {
            int n = await socket.ReceiveAsync(buffer.AsMemory(got), SocketFlags.None, cts.Token);
            if (n == 0)
            {
                throw new EndOfStreamException($"Peer closed after {got} of {count} bytes.");
            }

            got += n;
        }

        return buffer;
    }

    /// <summary>Reads until the peer closes (bounded); returns everything received.</summary>
    public static async Task<byte[]> ReceiveToEndAsync(this Socket socket, int timeoutMs = 10_000)
    {
        using var cts = new CancellationTokenSource(timeoutMs);
        var all = new MemoryStream();
        var buffer = new byte[16 * 1024];
        while (true)
        {
            int n = await socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token);
            if (n == 0)
            {
                return all.ToArray();
            }

            all.Write(buffer, 0, n);
        }
    }
}
