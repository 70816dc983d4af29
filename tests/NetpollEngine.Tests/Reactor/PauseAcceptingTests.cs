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
}
