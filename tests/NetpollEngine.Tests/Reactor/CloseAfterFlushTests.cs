using System.Net.Sockets;
using Netpoll.Connections;
using Netpoll.Polling;
using Netpoll.Tests.Support;

namespace Netpoll.Tests.Reactor;

/// <summary>
/// The commonest way to end a response: <c>await FlushAsync(); Close();</c>. An awaited flush means the bytes are
/// sent, so the close must not lose any of them, on every backend and dispatch mode. On io_uring the flush
/// completes once a ring send holds the bytes; the close used to cancel that send and cut the response short.
/// </summary>
public class CloseAfterFlushTests
{
    [Theory]
    [MemberData(nameof(BackendMatrix.Dispatch), MemberType = typeof(BackendMatrix))]
    public async Task Close_after_an_awaited_flush_delivers_every_byte_before_the_FIN(PollerBackendKind backend, DispatchMode dispatch)
    {
        byte[] response = new byte[16 * 1024 * 1024]; // more than loopback's socket buffers hold
        new Random(3).NextBytes(response);
        await using TestServer server = TestServer.Start(async c =>
        {
            c.Reader.Skip(c.Reader.Length);
            if (c.Context is not null)
            {
                return;
            }

            c.Context = "answered";
            c.Writer.WriteBinary(response);
            await c.Writer.FlushAsync();
            c.Close();
        }, BackendMatrix.Server(backend) with { Pollers = 1, Connection = new ConnectionOptions { Dispatch = dispatch } });

        using Socket client = await server.ConnectSocketAsync();
        await client.SendAsync(new byte[] { 1 });
        byte[] received = await client.ReceiveToEndAsync(timeoutMs: 30_000);
        Assert.Equal(response.Length, received.Length);
        Assert.True(response.AsSpan().SequenceEqual(received), "the bytes arrived changed");
    }
}
