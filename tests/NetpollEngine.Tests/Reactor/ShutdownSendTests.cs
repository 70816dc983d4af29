using System.Net.Sockets;
using Netpoll.Connections;
using Netpoll.Polling;
using Netpoll.Tests.Support;

namespace Netpoll.Tests.Reactor;

public class ShutdownSendTests
{
    /// <summary>
    /// A handler that answers and half-closes at once (an HTTP refusal, a proxy passing on a FIN): the FIN
    /// must follow the last byte, even while the answer is still in flight — a ring send not yet submitted, or
    /// a socket too full to take it all. Before, the FIN went out first and the peer read a cut answer.
    /// </summary>
    [Theory]
    [MemberData(nameof(BackendMatrix.Dispatch), MemberType = typeof(BackendMatrix))]
    public async Task The_FIN_follows_every_byte_flushed_before_ShutdownSend(PollerBackendKind backend, DispatchMode dispatch)
    {
        var options = BackendMatrix.Server(backend) with { Connection = new ConnectionOptions { Dispatch = dispatch } };
        await using var server = TestServer.Start(async c =>
        {
            int size = c.Reader.ReadByte() == 1 ? 100 : 4 << 20;
            c.Writer.WriteBinary(Pattern(size));
            await c.Writer.FlushAsync(); // returns below the high-water mark: the rest is still on its way
            c.ShutdownSend();
        }, options);

        foreach (byte which in new byte[] { 1, 2 })
        {
            using Socket client = await server.ConnectSocketAsync();
            await client.SendAsync(new[] { which });
            byte[] answer = await client.ReceiveToEndAsync(timeoutMs: 20_000);
            Assert.Equal(Pattern(which == 1 ? 100 : 4 << 20), answer);
        }
    }

    private static byte[] Pattern(int size)
    {
        var bytes = new byte[size];
        for (int i = 0; i < size; i++)
        {
            bytes[i] = (byte)(i * 31);
        }

        return bytes;
    }
}
