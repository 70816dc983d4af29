using System.Net.Http;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Netpoll.Client;
using Netpoll.Connections;
using Netpoll.Diagnostics;
using Netpoll.Protocols;
using Netpoll.Polling;
using Netpoll.Tests.Support;
using Netpoll.Tls;
using EchoHandler = Netpoll.Protocols.EchoHandler;

namespace Netpoll.Tests.Tls;

/// <summary>What a TLS server offers: a certificate per host name (SNI), ALPN, client certificates, and the built-in HTTP handler over it.</summary>
public class TlsServerFeatureTests
{
    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task Each_host_name_gets_its_certificate_and_others_get_the_default(PollerBackendKind backend)
    {
        X509Certificate2 api = TestCertificates.ForHosts("api.example.test");
        X509Certificate2 wildcard = TestCertificates.ForHosts("*.apps.example.test");
        var tls = TlsTestServer.Options with
        {
            HostCertificates = new Dictionary<string, X509Certificate2> { ["API.example.test"] = api, ["*.apps.example.test"] = wildcard },
        };
        await using TestServer server = TlsTestServer.Start(new EchoHandler(), tls, backend: backend);

        Assert.Equal(api.Thumbprint, await ServedCertificate(server, "api.example.test"));
        Assert.Equal(wildcard.Thumbprint, await ServedCertificate(server, "shop.apps.example.test"));
        Assert.Equal(TestCertificates.Localhost.Thumbprint, await ServedCertificate(server, "localhost"));
        // The server counts a handshake once it read the client's Finished, which may be after the client moved on.
        await TestServer.Eventually(() => server.Count(PollerCounter.TlsHandshakes) == 3, "the server counted three handshakes");
    }

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task ALPN_picks_the_servers_first_protocol_the_client_offers_and_refuses_a_client_with_none_in_common(PollerBackendKind backend)
    {
        await using TestServer server = TlsTestServer.Start(new EchoHandler(), TlsTestServer.Options with { ApplicationProtocols = ["h2", "http/1.1"] }, backend: backend);
        await using (SslStream both = await TlsTestServer.ConnectSslStreamAsync(server.EndPoint, alpn: [SslApplicationProtocol.Http11, SslApplicationProtocol.Http2]))
        {
            Assert.Equal(SslApplicationProtocol.Http2, both.NegotiatedApplicationProtocol);
        }

        // RFC 7301 §3.2: offers with nothing in common get a fatal no_application_protocol alert, not a session in
        // which the client must guess what the server speaks.
        await Assert.ThrowsAsync<AuthenticationException>(() => TlsTestServer.ConnectSslStreamAsync(server.EndPoint, alpn: [new SslApplicationProtocol("imap")]));
        await TestServer.Eventually(() => server.Count(PollerCounter.TlsFailedProtocol) == 1, "the server counted the refusal as a protocol failure");

        // A client that offers no ALPN at all is served without it.
        await using (SslStream none = await TlsTestServer.ConnectSslStreamAsync(server.EndPoint))
        {
            Assert.Equal(default, none.NegotiatedApplicationProtocol);
            await TlsTestServer.AssertEchoes(none);
        }
    }

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task A_required_client_certificate_must_be_sent_and_trusted(PollerBackendKind backend)
    {
        var seen = new TaskCompletionSource<string?>(TaskCreationOptions.RunContinuationsAsynchronously);
        var handler = new CertificateReporter(seen);
        var tls = TlsTestServer.Options with { ClientCertificateMode = ClientCertificateMode.Required, ClientCertificateTrust = TestCertificates.RootOnly };
        await using TestServer server = TlsTestServer.Start(handler, tls, backend: backend);

        await using (SslStream ok = await TlsTestServer.ConnectSslStreamAsync(server.EndPoint, clientCertificate: TestCertificates.Client))
        {
            await ok.WriteAsync("x"u8.ToArray());
            Assert.Equal(TestCertificates.Client.Subject, await seen.Task.WaitAsync(TimeSpan.FromSeconds(10)));
        }

        await AssertRefused(server, clientCertificate: null);
        await TestServer.Eventually(() => server.Count(PollerCounter.TlsFailedCertificate) == 1, "a missing certificate was counted");
        await AssertRefused(server, clientCertificate: TestCertificates.UntrustedClient);
        await TestServer.Eventually(() => server.Count(PollerCounter.TlsFailedCertificate) == 2, "an untrusted certificate was counted");
    }

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task An_optional_client_certificate_may_be_left_out(PollerBackendKind backend)
    {
        var seen = new TaskCompletionSource<string?>(TaskCreationOptions.RunContinuationsAsynchronously);
        var tls = TlsTestServer.Options with { ClientCertificateMode = ClientCertificateMode.Optional, ClientCertificateTrust = TestCertificates.RootOnly };
        await using TestServer server = TlsTestServer.Start(new CertificateReporter(seen), tls, backend: backend);
        await using SslStream anonymous = await TlsTestServer.ConnectSslStreamAsync(server.EndPoint);
        await anonymous.WriteAsync("x"u8.ToArray());
        Assert.Null(await seen.Task.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task A_client_certificate_callback_decides_and_sees_the_chain_errors(PollerBackendKind backend)
    {
        var decisions = new List<SslPolicyErrors>();
        var tls = TlsTestServer.Options with
        {
            ClientCertificateMode = ClientCertificateMode.Required,
            ClientCertificateTrust = TestCertificates.RootOnly,
            ClientCertificateValidation = (_, certificate, _, errors) =>
            {
                lock (decisions)
                {
                    decisions.Add(errors);
                }

                return certificate?.Subject == "CN=stranger"; // this server knows the stranger, not the others
            },
        };
        await using TestServer server = TlsTestServer.Start(new EchoHandler(), tls, backend: backend);
        await using SslStream stranger = await TlsTestServer.ConnectSslStreamAsync(server.EndPoint, clientCertificate: TestCertificates.UntrustedClient);
        await stranger.WriteAsync("x"u8.ToArray());
        byte[] one = new byte[1];
        await stranger.ReadExactlyAsync(one).AsTask().WaitAsync(TimeSpan.FromSeconds(10));

        await AssertRefused(server, TestCertificates.Client);
        Assert.Equal([SslPolicyErrors.RemoteCertificateChainErrors, SslPolicyErrors.None], decisions);
        await TestServer.Eventually(() => server.Count(PollerCounter.TlsFailedCertificate) == 1, "the refusal was counted");
    }

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task The_dialer_presents_its_client_certificate(PollerBackendKind backend)
    {
        var seen = new TaskCompletionSource<string?>(TaskCreationOptions.RunContinuationsAsynchronously);
        var tls = TlsTestServer.Options with { ClientCertificateMode = ClientCertificateMode.Required, ClientCertificateTrust = TestCertificates.RootOnly };
        await using TestServer server = TlsTestServer.Start(new CertificateReporter(seen), tls, backend: backend);
        await using Dialer dialer = BackendMatrix.Dialer(backend, new DialerOptions
        {
            Pollers = 1,
            Tls = new TlsClientOptions { TargetHost = "localhost", TrustedRoots = TestCertificates.RootOnly, ClientCertificate = TestCertificates.Client },
        });
        Connection c = await dialer.ConnectAsync(server.EndPoint);
        c.Writer.WriteString("x");
        await c.Writer.FlushAsync();
        Assert.Equal(TestCertificates.Client.Subject, await seen.Task.WaitAsync(TimeSpan.FromSeconds(10)));
        c.Close();
    }

    [Theory]
    [MemberData(nameof(BackendMatrix.Dispatch), MemberType = typeof(BackendMatrix))]
    public async Task HttpClient_gets_answers_from_the_built_in_HTTP_handler_over_TLS(PollerBackendKind backend, DispatchMode dispatch)
    {
        await using TestServer server = TlsTestServer.Start(new HttpHandler(), TlsTestServer.Options with { ApplicationProtocols = ["http/1.1"] }, dispatch, backend: backend);
        using var handler = new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions
            {
                CertificateChainPolicy = new X509ChainPolicy
                {
                    TrustMode = X509ChainTrustMode.CustomRootTrust,
                    CustomTrustStore = { TestCertificates.Root },
                    RevocationMode = X509RevocationMode.NoCheck,
                },
            },
            MaxConnectionsPerServer = 1,
        };
        using var client = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(10) };
        for (int i = 0; i < 5; i++)
        {
            string body = await client.GetStringAsync(new Uri($"https://localhost:{server.EndPoint.Port}/"));
            Assert.Equal("Hello, World!", body);
        }

        Assert.Equal(1, server.Count(PollerCounter.TlsHandshakes)); // keep-alive: one handshake for five requests
    }

    [Theory]
    [MemberData(nameof(BackendMatrix.Dispatch), MemberType = typeof(BackendMatrix))]
    public async Task A_large_transfer_round_trips_through_TLS_under_backpressure(PollerBackendKind backend, DispatchMode dispatch)
    {
        await using TestServer server = TlsTestServer.Start(new EchoHandler(), dispatch: dispatch, backend: backend);
        await using SslStream ssl = await TlsTestServer.ConnectSslStreamAsync(server.EndPoint);
        byte[] data = new byte[8 * 1024 * 1024];
        new Random(3).NextBytes(data);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        Task writing = Task.Run(async () => await ssl.WriteAsync(data, cts.Token));
        byte[] echoed = new byte[data.Length];
        await ssl.ReadExactlyAsync(echoed, cts.Token);
        await writing;
        Assert.True(data.AsSpan().SequenceEqual(echoed));
    }

    // Not on the matrix: options are refused at construction, before any backend is chosen or runs.
    [Fact]
    public async Task Bad_server_options_fail_at_construction_with_a_message()
    {
        ArgumentException none = Assert.Throws<ArgumentException>(() => new Netpoll.Server.EventLoop(new EchoHandler(), new Netpoll.Server.EventLoopOptions { Tls = new TlsServerOptions() }));
        Assert.Contains("needs a certificate", none.Message, StringComparison.Ordinal);
        using X509Certificate2 publicOnly = X509CertificateLoader.LoadCertificate(TestCertificates.Localhost.RawData);
        ArgumentException noKey = Assert.Throws<ArgumentException>(() => new Netpoll.Server.EventLoop(new EchoHandler(), new Netpoll.Server.EventLoopOptions { Tls = new TlsServerOptions { Certificate = publicOnly } }));
        Assert.Contains("no private key", noKey.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new Netpoll.Server.EventLoop(new EchoHandler(), new Netpoll.Server.EventLoopOptions
        {
            Tls = TlsTestServer.Options with { HostCertificates = new Dictionary<string, X509Certificate2> { ["not a name"] = TestCertificates.Localhost } },
        }));
        await Task.CompletedTask;
    }

    private static async Task<string?> ServedCertificate(TestServer server, string host)
    {
        await using SslStream ssl = await TlsTestServer.ConnectSslStreamAsync(server.EndPoint, host: host);
        return ssl.RemoteCertificate is X509Certificate2 certificate ? certificate.Thumbprint : null;
    }

    private static async Task AssertRefused(TestServer server, X509Certificate2? clientCertificate)
    {
        try
        {
            await using SslStream ssl = await TlsTestServer.ConnectSslStreamAsync(server.EndPoint, clientCertificate: clientCertificate);
            // TLS 1.3: the client finishes before the server judges its certificate; the refusal arrives as the first read.
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await ssl.WriteAsync("x"u8.ToArray(), cts.Token);
            int n = await ssl.ReadAsync(new byte[16], cts.Token);
            Assert.Equal(0, n);
        }
        catch (Exception ex) when (ex is AuthenticationException or IOException)
        {
            // refused during the handshake, or with an alert on the first read
        }
    }

    /// <summary>Reports the client certificate a connection presented (null: none), read through GetTlsInfo in OnConnect.</summary>
    private sealed class CertificateReporter(TaskCompletionSource<string?> seen) : ConnectionHandler
    {
        public override ValueTask OnConnectAsync(Connection connection)
        {
            seen.TrySetResult(connection.GetTlsInfo()?.RemoteCertificate?.Subject);
            return default;
        }

        public override ValueTask OnRequestAsync(Connection connection)
        {
            connection.Reader.Skip(connection.Reader.Length);
            return default;
        }
    }
}
