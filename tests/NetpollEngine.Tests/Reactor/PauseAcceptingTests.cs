using System.Net.Sockets;
using Netpoll.Polling;
using Netpoll.Tests.Support;

namespace Netpoll.Tests.Reactor;

public class PauseAcceptingTests
{
    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task A_paused_server_refuses_connections_keeps_open_ones_and_accepts_again_on_the_same_port(PollerBackendKind backend)
    {
        await using TestServer server = TestServer.Start(new EchoHandler(), BackendMatrix.Server(backend));
        using Socket open = await server.ConnectSocketAsync();

        await server.Loop.PauseAcceptingAsync();
        await server.Loop.PauseAcceptingAsync(); // idempotent

        SocketException refused = await Assert.ThrowsAsync<SocketException>(server.ConnectSocketAsync);
        Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);
        await open.SendAsync(new byte[] { 1, 2, 3 });
        Assert.Equal(new byte[] { 1, 2, 3 }, await open.ReceiveExactlyAsync(3)); // open connections are untouched

        await server.Loop.ResumeAcceptingAsync();

        using Socket again = await server.ConnectSocketAsync();
        await again.SendAsync(new byte[] { 4 });
        Assert.Equal(new byte[] { 4 }, await again.ReceiveExactlyAsync(1));
        Assert.Equal(server.EndPoint, again.RemoteEndPoint);
    }

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task A_connection_the_kernel_completed_before_the_pause_is_served_not_reset(PollerBackendKind backend)
    {
        // An inline handler holds the one poller thread: a client connecting meanwhile is connected (the kernel
        // completed the handshake) but not yet accepted when the pause runs, on the poller's next turn.
        var busy = new TaskCompletionSource();
        using var release = new ManualResetEventSlim();
        await using TestServer server = TestServer.Start(async c =>
        {
            if (c.Reader.Length > 0 && c.Reader.Peek(1).Span[0] == 0xFF)
            {
                c.Reader.Skip(1);
                busy.TrySetResult();
                release.Wait(TimeSpan.FromSeconds(10)); // bounded: the test releases it at once
                return;
            }

            using (Netpoll.Buffers.LinkBuffer echo = c.Reader.Slice(c.Reader.Length))
            {
                c.Writer.Append(echo);
            }

            await c.Writer.FlushAsync();
        }, new Netpoll.Server.EventLoopOptions { Backend = backend, Pollers = 1, Connection = new Netpoll.Connections.ConnectionOptions { Dispatch = Netpoll.Connections.DispatchMode.Inline } });
        using Socket holder = await server.ConnectSocketAsync();
        await holder.SendAsync(new byte[] { 0xFF });
        await busy.Task.WaitAsync(TimeSpan.FromSeconds(10));

        using Socket queued = await server.ConnectSocketAsync();
        Task pause = server.Loop.PauseAcceptingAsync();
        release.Set();
        await pause.WaitAsync(TimeSpan.FromSeconds(10));

        await queued.SendAsync(new byte[] { 7 });
        Assert.Equal(new byte[] { 7 }, await queued.ReceiveExactlyAsync(1));
        Assert.Equal(SocketError.ConnectionRefused, (await Assert.ThrowsAsync<SocketException>(server.ConnectSocketAsync)).SocketErrorCode);
    }
}
