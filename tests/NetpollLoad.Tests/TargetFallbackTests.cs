using System.Net;
using Netpoll.Polling;
using Netpoll.Protocols;
using Netpoll.Tests.Support;

namespace Netpoll.Load.Tests;

/// <summary>
/// A name with several addresses (localhost: 127.0.0.1 and ::1) against a server that listens on one of them: the
/// run connects to the first address that accepts, as curl, wrk and k6 do, and a name with no listening address is
/// refused at once, not a hang.
/// </summary>
public class TargetFallbackTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task A_refused_first_address_falls_through_to_the_next_and_the_run_loads_it(PollerBackendKind backend)
    {
        // As a resolver that puts ::1 first gives localhost, against a server bound to 127.0.0.1 only.
        await using var server = TestServer.Start(new HttpHandler(), BackendMatrix.Server(backend));
        LoadResult result = await LoadGenerator.RunAsync(Http(backend, new IPEndPoint(IPAddress.IPv6Loopback, server.EndPoint.Port), server.EndPoint)).WaitAsync(Bound);

        Assert.Equal("Requests", result.StopReason);
        Assert.Equal(200, result.Requests);
        Assert.Equal(200, result.StatusCodes[200]);
        Assert.Equal(0, result.ConnectFailures); // a refusal that fell through to an address that accepted is no failure
        Assert.Equal(0, result.Errors);
        Assert.Equal(server.EndPoint.ToString(), result.Target); // the address the run used
    }

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task A_server_on_ipv6_loopback_only_is_loaded_through_its_second_address(PollerBackendKind backend)
    {
        // localhost as this project orders it (127.0.0.1 first), against a server bound to ::1 only.
        await using var server = TestServer.Start(new HttpHandler(), BackendMatrix.Server(backend), new IPEndPoint(IPAddress.IPv6Loopback, 0));
        LoadResult result = await LoadGenerator.RunAsync(Http(backend, new IPEndPoint(IPAddress.Loopback, server.EndPoint.Port), server.EndPoint)).WaitAsync(Bound);

        Assert.Equal(200, result.Requests);
        Assert.Equal(0, result.ConnectFailures);
        Assert.Equal($"[::1]:{server.EndPoint.Port}", result.Target);
    }

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task A_name_with_no_listening_address_is_refused_once_per_connect_and_the_run_ends(PollerBackendKind backend)
    {
        int port;
        using (var probe = Netpoll.Server.NetpollListener.Create(0))
        {
            port = ((IPEndPoint)probe.LocalEndPoint).Port;
        }

        LoadResult result = await LoadGenerator.RunAsync(new LoadOptions
        {
            Backend = backend,
            Target = new IPEndPoint(IPAddress.Loopback, port),
            FallbackTargets = [new IPEndPoint(IPAddress.IPv6Loopback, port)],
            Connections = 3,
            Duration = TimeSpan.FromSeconds(10),
            ProgressInterval = TimeSpan.FromMilliseconds(50),
        }).WaitAsync(Bound);

        // Each connect tried both addresses and counts one failure, by the first address's cause.
        Assert.Equal("NoConnections", result.StopReason);
        Assert.Equal(3, result.ConnectFailures);
        Assert.Equal("Refused=3", result.ErrorsByKind.ToString());
        Assert.Equal(0, result.ConnectionsOpened);
    }

    [Fact]
    public void The_first_address_to_accept_is_the_runs_for_good()
    {
        var addresses = new TargetAddresses(new LoadOptions
        {
            Target = new IPEndPoint(IPAddress.IPv6Loopback, 80),
            FallbackTargets = [new IPEndPoint(IPAddress.Loopback, 80), new IPEndPoint(IPAddress.Parse("127.0.0.2"), 80)],
            Duration = TimeSpan.FromSeconds(1),
        });
        Assert.Null(addresses.Chosen);
        Assert.Equal(new IPEndPoint(IPAddress.IPv6Loopback, 80), addresses.Current);

        addresses.Accepted(1);
        addresses.Accepted(2); // a connect that raced the first success does not move the run
        Assert.Equal(1, addresses.Chosen);
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, 80), addresses.Current);
    }

    private static LoadOptions Http(PollerBackendKind backend, IPEndPoint first, IPEndPoint second) => new()
    {
        Backend = backend,
        Target = first,
        FallbackTargets = [second],
        Pattern = LoadPattern.Http,
        Connections = 4,
        Requests = 200,
        Duration = null,
        ProgressInterval = TimeSpan.FromMilliseconds(50),
    };
}
