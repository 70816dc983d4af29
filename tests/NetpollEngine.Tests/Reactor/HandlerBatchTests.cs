using System.Net.Sockets;
using Netpoll.Connections;
using Netpoll.Polling;
using Netpoll.Server;
using Netpoll.Tests.Support;

namespace Netpoll.Tests.Reactor;

public class HandlerBatchTests
{
    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task A_handler_that_blocks_its_thread_does_not_hold_up_other_connections_on_the_same_poller(PollerBackendKind backend)
    {
        using var gate = new ManualResetEventSlim();
        using var blocking = new ManualResetEventSlim();
        try
        {
            // One poller, so both connections' handlers go through the same batch.
            await using var server = TestServer.Start(
                async c =>
                {
                    string text = c.Reader.ReadString(c.Reader.Length);
                    if (text == "block")
                    {
                        blocking.Set();
                        gate.Wait(TimeSpan.FromSeconds(30)); // a handler doing synchronous I/O, say
                    }

                    c.Writer.WriteString(text);
                    await c.Writer.FlushAsync();
                },
                new EventLoopOptions { Backend = backend, Pollers = 1, Connection = new ConnectionOptions { Dispatch = DispatchMode.ThreadPool } });
            using Socket blocked = await server.ConnectSocketAsync();
            using Socket other = await server.ConnectSocketAsync();

            await blocked.SendAsync("block"u8.ToArray());
            Assert.True(blocking.Wait(TimeSpan.FromSeconds(10)), "the blocking handler started");

            await other.SendAsync("ping"u8.ToArray());
            byte[] reply = await other.ReceiveExactlyAsync(4).WaitAsync(TimeSpan.FromSeconds(10));
            Assert.Equal("ping", System.Text.Encoding.ASCII.GetString(reply));
            Assert.False(gate.IsSet);
        }
        finally
        {
            gate.Set();
        }
    }
}
