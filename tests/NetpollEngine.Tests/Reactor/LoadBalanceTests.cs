using System.Net;
using System.Net.Sockets;
using Netpoll.Polling;
using Netpoll.Server;
using Netpoll.Tests.Support;

namespace Netpoll.Tests.Reactor;

public class LoadBalanceTests
{
    public static TheoryData<PollerBackendKind, LoadBalance> Policies => BackendMatrix.Cross(LoadBalance.RoundRobin, LoadBalance.LeastConnections);

    [Theory]
    [MemberData(nameof(Policies))]
    public async Task Connections_spread_evenly_over_the_pollers(PollerBackendKind backend, LoadBalance policy)
    {
        await using var server = TestServer.Start(new EchoHandler(), new EventLoopOptions { Backend = backend, Pollers = 3, LoadBalance = policy });
        var clients = new List<Socket>();
        for (int i = 0; i < 12; i++)
        {
            clients.Add(await server.ConnectSocketAsync());
            await TestServer.Eventually(() => server.Loop.GetStats().Sum(s => s.Connections) == clients.Count, "each connection is registered before the next");
        }

        Assert.All(server.Loop.GetStats(), s => Assert.Equal(4, s.Connections));
        clients.ForEach(c => c.Dispose());
    }

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task Random_uses_every_poller(PollerBackendKind backend)
    {
        await using var server = TestServer.Start(new EchoHandler(), new EventLoopOptions { Backend = backend, Pollers = 2, LoadBalance = LoadBalance.Random });
        var clients = new List<Socket>();
        for (int i = 0; i < 64; i++)
        {
            clients.Add(await server.ConnectSocketAsync());
        }

        await TestServer.Eventually(() => server.Loop.ConnectionCount == 64, "all are open");
        Assert.All(server.Loop.GetStats(), s => Assert.True(s.Connections > 0, $"poller {s.PollerId} got none of 64")); // 2^-63 to fail by chance
        clients.ForEach(c => c.Dispose());
    }

    [Fact]
    public async Task With_ReusePort_two_servers_share_one_port()
    {
        var first = NetpollListener.Create(new IPEndPoint(IPAddress.Loopback, 0), new ListenerOptions { ReusePort = true });
        int port = ((IPEndPoint)first.LocalEndPoint).Port;
        using var second = NetpollListener.Create(new IPEndPoint(IPAddress.Loopback, port), new ListenerOptions { ReusePort = true });
        first.Dispose();
        Assert.Equal(port, ((IPEndPoint)second.LocalEndPoint).Port);
        Assert.Throws<SocketException>(() => NetpollListener.Create(new IPEndPoint(IPAddress.Loopback, port)));
        await Task.CompletedTask;
    }
}
