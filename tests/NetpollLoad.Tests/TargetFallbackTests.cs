using System.Net;
using System.Net.Sockets;
using Netpoll.Diagnostics;
using Netpoll.Polling;
using Netpoll.Protocols;
using Netpoll.Tests.Support;
using Netpoll.Tests.Tls;
using Netpoll.Tls;

namespace Netpoll.Load.Tests;

/// <summary>
/// A name with several addresses (localhost: 127.0.0.1 and ::1) against a server that listens on one of them: the
/// run connects to the first address that accepts, as curl, wrk and k6 do, racing the next address when one does not
/// answer within the connection attempt delay (Happy Eyeballs), and a name with no listening address is refused at
/// once, not a hang, naming what each address did.
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
    public async Task A_first_address_that_does_not_answer_is_raced_after_the_attempt_delay_not_waited_out(PollerBackendKind backend)
    {
        // As a name whose first address is firewalled: a connect begun before an address accepted starts the next address
        // once the first has not answered within the connection attempt delay (RFC 8305), instead of waiting out its connect
        // timeout there. No error, and the silent address is listed nowhere: its attempt was canceled, not failed.
        using UnansweringListener silent = await UnansweringListener.StartAsync();
        await using var server = TestServer.Start(new HttpHandler(), BackendMatrix.Server(backend));
        TimeSpan connectTimeout = TimeSpan.FromSeconds(10);
        LoadResult result = await LoadGenerator.RunAsync(Http(backend, silent.EndPoint, server.EndPoint) with { ConnectTimeout = connectTimeout }).WaitAsync(Bound);

        Assert.Equal("Requests", result.StopReason);
        Assert.Equal(200, result.Requests);
        Assert.Equal(0, result.ConnectFailures);
        Assert.Equal(0, result.Errors);
        Assert.Empty(result.AddressFailures);
        Assert.Equal(server.EndPoint.ToString(), result.Target);
        Assert.True(result.ConnectMax < connectTimeout, $"connect max {result.ConnectMaxMs} ms: the connect did not wait out the silent address's timeout");
        Assert.True(result.ConnectMax >= LoadConnector.ConnectionAttemptDelay * 0.8, $"connect max {result.ConnectMaxMs} ms: the first connect gave the silent address its attempt delay");
    }

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task A_first_address_that_answers_within_the_attempt_delay_is_not_raced(PollerBackendKind backend)
    {
        // Both addresses listen: every connect goes to the first, which accepts at once, and none to the second.
        await using var first = TestServer.Start(new HttpHandler(), BackendMatrix.Server(backend));
        await using var second = TestServer.Start(new HttpHandler(), BackendMatrix.Server(backend), new IPEndPoint(IPAddress.IPv6Loopback, 0));
        LoadResult result = await LoadGenerator.RunAsync(Http(backend, first.EndPoint, second.EndPoint)).WaitAsync(Bound);

        Assert.Equal(200, result.Requests);
        Assert.Equal(first.EndPoint.ToString(), result.Target);
        Assert.InRange(first.Count(PollerCounter.Accepted), 1, 4); // the budget may be spent before the last slot opens
        Assert.Equal(0, second.Count(PollerCounter.Accepted));
    }

    [Fact]
    public async Task A_first_address_whose_tls_handshake_stalls_is_raced_and_the_loser_is_closed_unopened()
    {
        // The first address accepts TCP (its kernel does) but never answers the handshake; the second is a TLS server. The
        // attempt delay covers the whole connect, handshake included, so the second wins; the stalled attempt is canceled.
        using var stalled = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        stalled.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        stalled.Listen(16);
        await using TestServer server = TlsTestServer.Start(new HttpHandler());
        LoadResult result = await LoadGenerator.RunAsync(Http(PollerBackendKind.Auto, (IPEndPoint)stalled.LocalEndPoint!, server.EndPoint) with
        {
            Tls = new TlsClientOptions { TargetHost = "localhost", TrustedRoots = TestCertificates.RootOnly },
        }).WaitAsync(Bound);

        Assert.Equal(200, result.Requests);
        Assert.Equal(0, result.Errors);
        Assert.Equal(server.EndPoint.ToString(), result.Target);
        Assert.Equal(4, result.ConnectionsOpened);
        Assert.Equal(4, result.TlsHandshakes); // the losers' handshakes never completed, and no loser was counted open
        Assert.True(result.ConnectMax < TimeSpan.FromSeconds(10), $"connect max {result.ConnectMaxMs} ms: not the default 10 s handshake timeout");
    }

    [Fact]
    public async Task A_tls_handshake_that_times_out_is_its_own_cause_not_a_connect_timeout()
    {
        // TCP connects (the kernel accepts into the queue); the handshake gets no answer. k6 tells the two apart too.
        using var stalled = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        stalled.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        stalled.Listen(16);
        LoadResult result = await LoadGenerator.RunAsync(new LoadOptions
        {
            Target = (IPEndPoint)stalled.LocalEndPoint!,
            Connections = 2,
            Duration = TimeSpan.FromSeconds(20),
            Tls = new TlsClientOptions { SkipCertificateValidation = true, HandshakeTimeout = TimeSpan.FromMilliseconds(300) },
            ProgressInterval = TimeSpan.FromMilliseconds(50),
        }).WaitAsync(Bound);

        Assert.Equal("NoConnections", result.StopReason);
        Assert.Equal(2, result.ConnectFailures);
        Assert.Equal("TlsHandshakeTimeout=2", result.ErrorsByKind.ToString());
        Assert.StartsWith($"{stalled.LocalEndPoint}: TlsHandshakeTimeout (", Assert.Single(result.AddressFailures), StringComparison.Ordinal);
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

        // Each connect tried both addresses and counts one failure, by the first address's cause; each address keeps its own.
        Assert.Equal("NoConnections", result.StopReason);
        Assert.Equal(3, result.ConnectFailures);
        Assert.Equal("Refused=3", result.ErrorsByKind.ToString());
        Assert.Equal(0, result.ConnectionsOpened);
        Assert.Collection(
            result.AddressFailures,
            first => Assert.StartsWith($"127.0.0.1:{port}: Refused (", first, StringComparison.Ordinal),
            second => Assert.StartsWith($"[::1]:{port}: Refused (", second, StringComparison.Ordinal));
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
