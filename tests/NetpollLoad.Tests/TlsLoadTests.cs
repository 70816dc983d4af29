using System.Net;
using Netpoll.Diagnostics;
using Netpoll.Load;
using Netpoll.Polling;
using Netpoll.Protocols;
using Netpoll.Proxy;
using Netpoll.Tests.Support;
using Netpoll.Tests.Tls;
using Netpoll.Tls;

namespace Netpoll.Load.Tests;

/// <summary>The load generator over TLS: keep-alive HTTPS, the Handshake pattern with and without resumption, a rejected certificate.</summary>
public class TlsLoadTests
{
    private static readonly TimeSpan HandshakeDelay = TimeSpan.FromMilliseconds(300);

    private static TlsClientOptions TrustingTestRoot(bool resumption = true) =>
        new() { TargetHost = "localhost", TrustedRoots = TestCertificates.RootOnly, SessionResumption = resumption };

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task Https_keep_alive_load_handshakes_once_per_connection(PollerBackendKind backend)
    {
        await using TestServer server = TlsTestServer.Start(new HttpHandler(), backend: backend);
        LoadResult result = await LoadGenerator.RunAsync(new LoadOptions
        {
            Target = server.EndPoint, Connections = 4, Requests = 400, Duration = TimeSpan.FromSeconds(30),
            Pattern = LoadPattern.Http, Tls = TrustingTestRoot(), Backend = backend,
        });

        Assert.Equal(backend, result.Backend); // TLS runs on io_uring when asked (Auto keeps it on epoll)

        Assert.Equal("Requests", result.StopReason);
        Assert.Equal(400, result.Requests);
        Assert.Equal(0, result.Errors);
        // One handshake per connection opened (the budget may be spent before the last one opens).
        Assert.InRange(result.ConnectionsOpened, 1, 4);
        Assert.Equal(result.ConnectionsOpened, result.TlsHandshakes);
    }

    public static TheoryData<PollerBackendKind, bool> WithAndWithoutResumption => BackendMatrix.Cross(true, false);

    [Theory]
    [MemberData(nameof(WithAndWithoutResumption))]
    public async Task The_handshake_pattern_opens_a_connection_per_request_and_resumes_when_asked(PollerBackendKind backend, bool resumption)
    {
        await using TestServer server = TlsTestServer.Start(new HttpHandler(), backend: backend);
        LoadResult result = await LoadGenerator.RunAsync(new LoadOptions
        {
            Target = server.EndPoint, Connections = 2, Requests = 30, Duration = TimeSpan.FromSeconds(30),
            Pattern = LoadPattern.Handshake, Tls = TrustingTestRoot(resumption), Backend = backend,
        });

        Assert.Equal(backend, result.Backend);

        Assert.Equal("Requests", result.StopReason);
        Assert.Equal(30, result.Requests);
        Assert.Equal(0, result.Errors);
        Assert.Equal(30, result.ConnectionsOpened);
        Assert.Equal(30, result.TlsHandshakes);
        Assert.True(result.LatencyMean > result.ServiceTimeMean, $"latency {result.LatencyMeanMs} ms holds the connect and handshake, service time {result.ServiceTimeMeanMs} ms does not");
        await TestServer.Eventually(() => server.Count(PollerCounter.TlsHandshakes) + server.Count(PollerCounter.TlsResumedHandshakes) == 30, "the server counted every handshake");
        if (resumption)
        {
            // The first connection of each slot has no session yet; later ones resume the last ticket.
            Assert.InRange(result.TlsResumedHandshakes, 1, 30);
            Assert.Equal(result.TlsResumedHandshakes, server.Count(PollerCounter.TlsResumedHandshakes));
        }
        else
        {
            Assert.Equal(0, result.TlsResumedHandshakes);
            Assert.Equal(0, server.Count(PollerCounter.TlsResumedHandshakes));
        }
    }

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task Every_connection_after_the_first_resumes_when_the_server_closes_with_close_notify(PollerBackendKind backend)
    {
        // Connection: close, so the server's close_notify often arrives with the response: that clean end must not spoil
        // the session the connection got (OpenSSL drops sessions of connections it takes for truncated).
        await using TestServer server = TlsTestServer.Start(new HttpHandler(), backend: backend);
        LoadResult result = await LoadGenerator.RunAsync(new LoadOptions
        {
            Target = server.EndPoint, Connections = 1, Requests = 12, Duration = TimeSpan.FromSeconds(30),
            Pattern = LoadPattern.Handshake, Tls = TrustingTestRoot(resumption: true), Backend = backend,
        });

        Assert.Equal(backend, result.Backend);

        Assert.Equal(12, result.Requests);
        Assert.Equal(12, result.TlsHandshakes);
        Assert.Equal(11, result.TlsResumedHandshakes);
    }

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task Over_tls_the_connect_time_is_the_tcp_connect_not_the_handshake(PollerBackendKind backend)
    {
        // The server's handshake flight crosses a proxy that holds it for 300 ms; the TCP connect, to the proxy, does not.
        await using TestServer server = TlsTestServer.Start(new HttpHandler(), backend: backend);
        await using TcpProxy proxy = TcpProxy.Start(new TcpProxyOptions { Upstream = server.EndPoint, Backend = backend });
        BackendMatrix.Check(backend, proxy.BackendInUse, proxy.BackendReason);
        await proxy.AddToxicAsync(new LatencyToxic { Latency = HandshakeDelay });
        LoadResult result = await LoadGenerator.RunAsync(new LoadOptions
        {
            Target = proxy.EndPoint, Connections = 2, Requests = 4, Duration = TimeSpan.FromSeconds(30),
            Pattern = LoadPattern.Handshake, Tls = TrustingTestRoot(resumption: false), Backend = backend,
        });

        Assert.Equal(backend, result.Backend);

        Assert.Equal(4, result.Requests);
        Assert.Equal(4, result.TlsHandshakes);
        Assert.True(result.LatencyP50 >= 2 * HandshakeDelay, $"latency p50 {result.LatencyP50Ms} ms holds the held handshake and response");
        // With the handshake in it, every connect took at least the held flight (≥ 300 ms); the bound is that, not a speed.
        Assert.True(result.ConnectMax < HandshakeDelay, $"connect max {result.ConnectMaxMs} ms: a TCP connect on loopback, without the handshake");
    }

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task The_handshake_pattern_works_without_tls_as_a_connection_rate_test(PollerBackendKind backend)
    {
        await using var server = TestServer.Start(new HttpHandler(), BackendMatrix.Server(backend));
        LoadResult result = await LoadGenerator.RunAsync(new LoadOptions
        {
            Target = server.EndPoint, Connections = 3, Requests = 24, Duration = TimeSpan.FromSeconds(30), Pattern = LoadPattern.Handshake, Backend = backend,
        });

        Assert.Equal(backend, result.Backend);

        Assert.Equal(24, result.Requests);
        Assert.Equal(0, result.Errors);
        Assert.Equal(24, result.ConnectionsOpened);
        Assert.Equal(0, result.TlsHandshakes);
    }

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task A_certificate_the_client_rejects_is_a_counted_tls_error_and_the_run_stops_at_once(PollerBackendKind backend)
    {
        await using TestServer server = TlsTestServer.Start(new HttpHandler(), backend: backend);
        var untrusting = new TlsClientOptions { TargetHost = "localhost", TrustedRoots = [TestCertificates.OtherRoot] };
        LoadResult result = await LoadGenerator.RunAsync(new LoadOptions
        {
            Target = server.EndPoint, Connections = 2, Requests = 6, Duration = TimeSpan.FromSeconds(30), Pattern = LoadPattern.Handshake, Tls = untrusting, Backend = backend,
        });

        // No response ever came, so each slot's failed connect is its last (as a refused target's): the run ends, each try counted.
        Assert.Equal("NoConnections", result.StopReason);
        Assert.Equal(0, result.Requests);
        Assert.Equal(2, result.RequestsFailed);
        Assert.Equal(2, result.ErrorsByKind.TlsHandshake);
        Assert.Equal(2, result.ConnectFailures);
        Assert.Contains("certificate was rejected", Assert.Single(result.ErrorsByKind.TlsDetails), StringComparison.Ordinal);
        await TestServer.Eventually(() => server.Count(PollerCounter.TlsFailedCertificate) == 2, "the server counted each rejection as a certificate failure");
    }

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task A_server_that_requires_a_client_certificate_is_a_tls_error_over_tls_1_3_too_not_a_reset(PollerBackendKind backend)
    {
        // Over TLS 1.2 the server's refusal ends the handshake (alert 40); over TLS 1.3 the client has finished its side
        // when the server's "certificate required" alert (116) comes (openssl s_server -Verify 1, nginx's stream module),
        // so the connection had opened, and its end was counted as a reset: not what the server said.
        await using TestServer server = TlsTestServer.Start(new HttpHandler(), TlsTestServer.RequiringClientCertificate, backend: backend);
        LoadResult result = await LoadGenerator.RunAsync(new LoadOptions
        {
            Target = server.EndPoint, Connections = 2, Duration = TimeSpan.FromSeconds(1.5), Pattern = LoadPattern.Http, Tls = TrustingTestRoot(), Backend = backend,
        });

        Assert.Equal(0, result.Requests);
        Assert.True(result.Errors > 0, "the refusals are counted");
        Assert.True(result.Errors == result.ErrorsByKind.TlsHandshake, $"errors: {result.ErrorsByKind}");
        Assert.Contains(result.ErrorsByKind.TlsDetails, detail => detail.Contains("certificate required", StringComparison.Ordinal)); // what the server said
        await TestServer.Eventually(() => server.Count(PollerCounter.TlsFailedCertificate) > 0, "the server counted its refusals as certificate failures");
    }

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task Https_requests_dial_tls_with_the_uri_host_as_the_tls_name_and_send_their_paths(PollerBackendKind backend)
    {
        await using TestServer server = TlsTestServer.Start(new HttpHandler(), backend: backend);
        Uri origin = new($"https://localhost:{server.EndPoint.Port}");

        // Tls names no TargetHost: "localhost" comes from the URIs, and the test certificate is for localhost.
        LoadResult result = await LoadGenerator.RunAsync(new LoadOptions
        {
            Target = server.EndPoint, Connections = 1, Requests = 40, Duration = TimeSpan.FromSeconds(30), Pattern = LoadPattern.Http,
            HttpRequests = [new LoadHttpRequest { Uri = new Uri(origin, "/") }, new LoadHttpRequest { Uri = new Uri(origin, "/missing") }],
            Tls = new TlsClientOptions { TrustedRoots = TestCertificates.RootOnly }, Backend = backend,
        });

        Assert.Equal(backend, result.Backend);
        Assert.Equal(40, result.Requests);
        Assert.Equal(0, result.Errors);
        Assert.Equal(20, result.StatusCodes[200]);
        Assert.Equal(20, result.StatusCodes[404]);
        Assert.Equal(1, result.TlsHandshakes);
    }

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task The_handshake_pattern_sends_the_requests_given_each_on_its_own_connection(PollerBackendKind backend)
    {
        await using TestServer server = TlsTestServer.Start(new HttpHandler(), backend: backend);
        Uri origin = new($"https://localhost:{server.EndPoint.Port}");
        LoadResult result = await LoadGenerator.RunAsync(new LoadOptions
        {
            Target = server.EndPoint, Connections = 2, Requests = 10, Duration = TimeSpan.FromSeconds(30), Pattern = LoadPattern.Handshake,
            HttpRequests = [new LoadHttpRequest { Uri = new Uri(origin, "/missing") }],
            Tls = new TlsClientOptions { TrustedRoots = TestCertificates.RootOnly }, Backend = backend,
        });

        Assert.Equal(backend, result.Backend);
        Assert.Equal(10, result.Requests);
        Assert.Equal(0, result.Errors);
        Assert.Equal(10, result.StatusCodes[404]);
        Assert.Equal(10, result.ConnectionsOpened);
        Assert.Equal(10, result.TlsHandshakes);
    }

    // Not on the matrix: the options are refused by Validate, before a dialer (and so a backend) exists.
    [Fact]
    public void Options_that_mix_up_tls_or_ask_a_rate_of_the_handshake_pattern_are_refused()
    {
        var target = new IPEndPoint(IPAddress.Loopback, 1);
        var plainRequests = new LoadOptions
        {
            Target = target, Requests = 1, Pattern = LoadPattern.Http, Tls = new TlsClientOptions(),
            HttpRequests = [new LoadHttpRequest { Uri = new Uri("http://127.0.0.1:1/") }],
        };
        Assert.Equal("Tls", Assert.Throws<ArgumentException>(plainRequests.Validate).ParamName);

        var handshakeAtRate = new LoadOptions { Target = target, Duration = TimeSpan.FromSeconds(1), Pattern = LoadPattern.Handshake, Rate = 100 };
        Assert.Equal("Rate", Assert.Throws<ArgumentException>(handshakeAtRate.Validate).ParamName);
    }

    // Not on the matrix: RunAsync refuses the options before it builds its dialer, so no backend runs.
    [Fact]
    public async Task Tls_options_that_cannot_work_fail_the_run_before_it_connects()
    {
        var options = new LoadOptions
        {
            Target = new IPEndPoint(IPAddress.Loopback, 1), Requests = 1,
            Tls = new TlsClientOptions { SkipCertificateValidation = true, RemoteCertificateValidation = (_, _, _, _) => true },
        };

        ArgumentException error = await Assert.ThrowsAsync<ArgumentException>(() => LoadGenerator.RunAsync(options));
        Assert.Equal("RemoteCertificateValidation", error.ParamName);
    }
}
