using System.Net.Sockets;
using Netpoll.Connections;
using Netpoll.Polling;
using Netpoll.Server;
using Netpoll.Tests.Support;

namespace Netpoll.Tests.Reactor;

public class HalfCloseAndResetTests
{
    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task A_client_that_half_closes_still_gets_every_reply_then_the_server_closes(PollerBackendKind backend)
    {
        var echo = new EchoHandler();
        await using var server = TestServer.Start(echo, BackendMatrix.Server(backend));
        using Socket client = await server.ConnectSocketAsync();
        byte[] message = new byte[200_000];
        Random.Shared.NextBytes(message);
        await client.SendAsync(message);
        client.Shutdown(SocketShutdown.Send);

        byte[] all = await client.ReceiveToEndAsync();
        Assert.Equal(message, all);
        await TestServer.Eventually(() => !echo.CloseReasons.IsEmpty, "the server closed after answering");
        Assert.Equal(CloseReason.PeerClosed, echo.CloseReasons.Single());
    }

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task A_peer_reset_mid_request_closes_that_connection_and_the_server_keeps_serving(PollerBackendKind backend)
    {
        var reasons = new List<CloseReason>();
        var started = new TaskCompletionSource();
        await using var server = TestServer.Start(async c =>
        {
            if (c.Reader.Length < 10)
            {
                started.TrySetResult();
                c.AddCloseCallback(x => { lock (reasons) { reasons.Add(x.CloseReason); } });
                try
                {
                    await c.Reader.WaitAsync(10); // the rest never comes: the peer resets
                }
                catch (Exception ex) when (ex is ConnectionClosedException or EndOfStreamException)
                {
                }

                return;
            }

            c.Writer.WriteBinary(c.Reader.Next(c.Reader.Length).Span);
            await c.Writer.FlushAsync();
        }, BackendMatrix.Server(backend));

        using (Socket victim = await server.ConnectSocketAsync())
        {
            await victim.SendAsync(new byte[3]);
            await started.Task.WaitAsync(TimeSpan.FromSeconds(10));
            victim.LingerState = new LingerOption(true, 0); // close with RST
        }

        await TestServer.Eventually(() => { lock (reasons) { return reasons.Count == 1; } }, "the reset connection closed");
        lock (reasons)
        {
            Assert.Contains(reasons[0], new[] { CloseReason.Error, CloseReason.PeerClosed });
        }

        using Socket healthy = await server.ConnectSocketAsync();
        await healthy.SendAsync(new byte[10]);
        Assert.Equal(10, (await healthy.ReceiveExactlyAsync(10)).Length);
    }

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task A_storm_of_resets_closes_every_connection_frees_its_buffers_and_the_server_keeps_serving(PollerBackendKind backend)
    {
        const int waves = 4;
        const int perWave = 100;
        var echo = new EchoHandler();
        await using var server = TestServer.Start(echo, new EventLoopOptions { Backend = backend, Pollers = 2 });
        using Socket healthy = await server.ConnectSocketAsync();
        byte[] request = new byte[2048];
        for (int wave = 0; wave < waves; wave++)
        {
            Socket[] storm = await Task.WhenAll(Enumerable.Range(0, perWave).Select(_ => server.ConnectSocketAsync()));
            foreach (Socket s in storm)
            {
                await s.SendAsync(request); // data in flight both ways when the reset lands
                s.LingerState = new LingerOption(true, 0);
                s.Dispose(); // RST
            }

            // The survivor is answered while the resets are handled.
            await healthy.SendAsync(new byte[] { (byte)wave });
            Assert.Equal((byte)wave, (await healthy.ReceiveExactlyAsync(1))[0]);
        }

        await TestServer.Eventually(() => echo.CloseReasons.Count == waves * perWave, $"all {waves * perWave} reset connections closed", 20_000);
        Assert.All(echo.CloseReasons, r => Assert.Contains(r, new[] { CloseReason.Error, CloseReason.PeerClosed }));
        Assert.Equal(1, server.Loop.ConnectionCount);
        await TestServer.Eventually(() => server.Loop.GetStats().Sum(s => s.ReceiveRingBytes) == 0 && server.Loop.GetBufferStatistics().RentedBlocks == 0,
            "the reset connections' buffers went back (pool and receive ring)");
        await healthy.SendAsync(new byte[] { 42 });
        Assert.Equal(42, (await healthy.ReceiveExactlyAsync(1))[0]);
    }

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task The_server_can_half_close_and_still_read_what_the_client_sends_after(PollerBackendKind backend)
    {
        var received = new TaskCompletionSource<string>();
        await using var server = TestServer.Start(new HalfClosingHandler(received), BackendMatrix.Server(backend));
        using Socket client = await server.ConnectSocketAsync();
        byte[] greeting = await client.ReceiveToEndAsync(); // EOF after the greeting: the server shut down its send side
        Assert.Equal("hello", System.Text.Encoding.ASCII.GetString(greeting));
        await client.SendAsync("still here"u8.ToArray());
        Assert.Equal("still here", await received.Task.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    private sealed class HalfClosingHandler(TaskCompletionSource<string> received) : ConnectionHandler
    {
        public override async ValueTask OnConnectAsync(Connection connection)
        {
            connection.Writer.WriteString("hello");
            await connection.Writer.FlushAsync();
            connection.ShutdownSend();
        }

        public override ValueTask OnRequestAsync(Connection connection)
        {
            if (connection.Reader.Length >= 10)
            {
                received.TrySetResult(connection.Reader.ReadString(10));
            }

            return default;
        }
    }
}
