using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Netpoll.Client;
using Netpoll.Connections;
using Netpoll.Diagnostics;
using Netpoll.Polling;
using Netpoll.Tests.Support;
using Netpoll.Tls;

namespace Netpoll.Tests.Tls;

/// <summary>The dialer's TLS: it checks the server's certificate, fails clearly when it should, and resumes sessions.</summary>
public class TlsDialerTests
{
    private static TlsClientOptions Trusting => new() { TargetHost = "localhost", TrustedRoots = TestCertificates.RootOnly, HandshakeTimeout = TimeSpan.FromSeconds(5) };

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task An_expired_server_certificate_fails_the_connect_and_the_server_counts_the_refusal(PollerBackendKind backend)
    {
        await using TestServer server = TlsTestServer.Start(new EchoHandler(), TlsTestServer.Options with { Certificate = TestCertificates.Expired }, backend: backend);
        await using Dialer dialer = BackendMatrix.Dialer(backend, new DialerOptions { Pollers = 1, Tls = Trusting });
        AuthenticationException error = await Assert.ThrowsAsync<AuthenticationException>(() => dialer.ConnectAsync(server.EndPoint));
        Assert.Contains("certificate has expired", error.Message, StringComparison.Ordinal);
        Assert.Contains("localhost", error.Message, StringComparison.Ordinal);
        Assert.Equal(1, Count(dialer, PollerCounter.TlsFailedCertificate));
        await TestServer.Eventually(() => server.Count(PollerCounter.TlsFailedCertificate) == 1, "the server counted the client's certificate alert");
        await TestServer.Eventually(() => dialer.ConnectionCount == 0, "the failed connection is gone");
    }

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task A_dialed_connections_handler_is_prepared_before_the_handshake_and_connected_after_it(PollerBackendKind backend)
    {
        await using TestServer server = TlsTestServer.Start(new EchoHandler(), backend: backend);
        await using Dialer dialer = BackendMatrix.Dialer(backend, new DialerOptions { Pollers = 1, Tls = Trusting });
        var handler = new HandshakeWitness();
        Connection c = await dialer.ConnectAsync(server.EndPoint, handler);
        await TestServer.Eventually(() => handler.Seen.Count == 2, "OnPrepare and OnConnect ran");
        Assert.Equal(["prepare: before the handshake", "connect: after the handshake"], handler.Seen);
        c.Close();
    }

    /// <summary>Notes what each call saw of the TLS handshake (GetTlsInfo is null until it completes).</summary>
    private sealed class HandshakeWitness : ConnectionHandler
    {
        public System.Collections.Concurrent.ConcurrentQueue<string> Seen { get; } = new();

        public override void OnPrepare(Connection connection) => Seen.Enqueue($"prepare: {Describe(connection)}");

        public override ValueTask OnConnectAsync(Connection connection)
        {
            Seen.Enqueue($"connect: {Describe(connection)}");
            return default;
        }

        public override ValueTask OnRequestAsync(Connection connection) => default;

        private static string Describe(Connection connection) => connection.GetTlsInfo() is null ? "before the handshake" : "after the handshake";
    }

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task A_certificate_for_another_host_fails_with_a_name_mismatch(PollerBackendKind backend)
    {
        await using TestServer server = TlsTestServer.Start(new EchoHandler(), backend: backend);
        await using Dialer dialer = BackendMatrix.Dialer(backend, new DialerOptions { Pollers = 1, Tls = Trusting with { TargetHost = "api.example.test" } });
        AuthenticationException error = await Assert.ThrowsAsync<AuthenticationException>(() => dialer.ConnectAsync(server.EndPoint));
        Assert.Contains("hostname mismatch", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task A_certificate_from_an_untrusted_root_fails_and_the_system_roots_are_the_default(PollerBackendKind backend)
    {
        await using TestServer server = TlsTestServer.Start(new EchoHandler(), backend: backend);
        await using Dialer dialer = BackendMatrix.Dialer(backend, new DialerOptions { Pollers = 1, Tls = Trusting with { TrustedRoots = null } });
        AuthenticationException error = await Assert.ThrowsAsync<AuthenticationException>(() => dialer.ConnectAsync(server.EndPoint));
        Assert.Contains("certificate was rejected", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task An_address_target_is_checked_against_the_certificates_IP_entries(PollerBackendKind backend)
    {
        await using TestServer server = TlsTestServer.Start(new EchoHandler(), backend: backend);
        await using Dialer dialer = BackendMatrix.Dialer(backend, new DialerOptions { Pollers = 1, Tls = Trusting with { TargetHost = null } });
        Connection c = await dialer.ConnectAsync(server.EndPoint);
        Assert.Equal("127.0.0.1", c.GetTlsInfo()!.HostName);
        c.Close();
    }

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task Skipping_validation_accepts_an_expired_certificate(PollerBackendKind backend)
    {
        await using TestServer server = TlsTestServer.Start(new EchoHandler(), TlsTestServer.Options with { Certificate = TestCertificates.Expired }, backend: backend);
        await using Dialer dialer = BackendMatrix.Dialer(backend, new DialerOptions { Pollers = 1, Tls = new TlsClientOptions { SkipCertificateValidation = true } });
        Connection c = await dialer.ConnectAsync(server.EndPoint);
        Assert.NotNull(c.GetTlsInfo());
        c.Close();
    }

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task A_validation_callback_decides_off_the_poller_with_what_the_chain_check_found(PollerBackendKind backend)
    {
        await using TestServer server = TlsTestServer.Start(new EchoHandler(), backend: backend);
        SslPolicyErrors seen = SslPolicyErrors.None;
        bool onThreadPool = false;
        string? subject = null;
        bool accept = true;
        RemoteCertificateValidationCallback callback = (sender, certificate, chain, errors) =>
        {
            seen = errors;
            onThreadPool = Thread.CurrentThread.IsThreadPoolThread;
            subject = certificate?.Subject;
            Assert.IsType<Connection>(sender);
            return accept;
        };
        var tls = Trusting with { TargetHost = "wrong.example.test", RemoteCertificateValidation = callback };
        await using Dialer dialer = BackendMatrix.Dialer(backend, new DialerOptions { Pollers = 1, Tls = tls });

        Connection c = await dialer.ConnectAsync(server.EndPoint);
        Assert.Equal(SslPolicyErrors.RemoteCertificateNameMismatch, seen);
        Assert.True(onThreadPool);
        Assert.Equal("CN=localhost", subject);
        Assert.Equal(TestCertificates.Localhost.Thumbprint, c.GetTlsInfo()!.RemoteCertificate!.Thumbprint);
        c.Close();

        accept = false;
        AuthenticationException error = await Assert.ThrowsAsync<AuthenticationException>(() => dialer.ConnectAsync(server.EndPoint));
        Assert.Contains("refused by the validation callback", error.Message, StringComparison.Ordinal);
        await TestServer.Eventually(() => Count(dialer, PollerCounter.TlsFailedCertificate) == 1, "the dialer counted the refusal");
    }

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task A_tls_1_3_server_refusing_the_missing_client_certificate_after_the_handshake_is_named_by_GetTlsFailure(PollerBackendKind backend)
    {
        // Over TLS 1.3 the client's handshake is complete when the server checks for its certificate, so the refusal
        // (alert 116) reaches a connection that had opened: GetTlsFailure says what the server said (a dialed connection
        // without a handler stays open until its application reads the failure and closes it, as a socket does).
        await using TestServer server = TlsTestServer.Start(new EchoHandler(), TlsTestServer.RequiringClientCertificate, backend: backend);
        await using Dialer dialer = BackendMatrix.Dialer(backend, new DialerOptions { Pollers = 1, Tls = Trusting with { EnabledProtocols = SslProtocols.Tls13 } });
        Connection connection = await dialer.ConnectAsync(server.EndPoint);
        await TestServer.Eventually(() => connection.GetTlsFailure() is not null, "the server's alert was read");

        Assert.Contains("alert 116", connection.GetTlsFailure(), StringComparison.Ordinal);
        Assert.Contains("certificate required", connection.GetTlsFailure(), StringComparison.Ordinal);
        await Assert.ThrowsAnyAsync<IOException>(async () => await connection.Reader.NextAsync(1)); // the stream ended in error
        connection.Close();
    }

    [Fact]
    public async Task GetTlsFailure_is_null_on_a_working_tls_connection_and_on_a_plain_one()
    {
        await using TestServer tls = TlsTestServer.Start(new EchoHandler());
        await using var dialer = new Dialer(new DialerOptions { Pollers = 1, Tls = Trusting });
        Connection secure = await dialer.ConnectAsync(tls.EndPoint);
        Assert.Null(secure.GetTlsFailure());
        secure.Close();

        await using TestServer plain = TestServer.Start(new EchoHandler());
        await using var plainDialer = new Dialer(new DialerOptions { Pollers = 1 });
        Connection clear = await plainDialer.ConnectAsync(plain.EndPoint);
        Assert.Null(clear.GetTlsFailure());
        clear.Close();
    }

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task A_server_that_never_answers_fails_the_connect_at_the_handshake_timeout(PollerBackendKind backend)
    {
        using var silent = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        silent.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        silent.Listen(4); // accepts in the kernel, never speaks
        await using Dialer dialer = BackendMatrix.Dialer(backend, new DialerOptions { Pollers = 1, Tls = Trusting with { HandshakeTimeout = TimeSpan.FromMilliseconds(300) } });
        var clock = System.Diagnostics.Stopwatch.StartNew();
        TlsHandshakeTimeoutException error = await Assert.ThrowsAsync<TlsHandshakeTimeoutException>(() => dialer.ConnectAsync(silent.LocalEndPoint!));
        Assert.InRange(clock.ElapsedMilliseconds, 250, 8000);
        Assert.Contains("TLS handshake", error.Message, StringComparison.Ordinal);
        Assert.Equal(1, Count(dialer, PollerCounter.TlsFailedTimeout));
    }

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task A_plain_HTTP_server_dialed_over_TLS_fails_the_connect_saying_it_answered_in_the_clear(PollerBackendKind backend)
    {
        // What an HTTP server answers a ClientHello: a 400 in plain text, then close.
        (AuthenticationException error, Dialer dialer) = await ConnectToRawServer(backend, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"u8.ToArray());
        await using (dialer)
        {
            Assert.Contains("answered in the clear, not TLS (its first bytes: \"HTTP/\")", error.Message, StringComparison.Ordinal);
            Assert.Equal(1, Count(dialer, PollerCounter.TlsFailedProtocol));
        }
    }

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task A_server_that_closes_mid_handshake_fails_the_connect_clearly(PollerBackendKind backend)
    {
        (AuthenticationException error, Dialer dialer) = await ConnectToRawServer(backend, []);
        await using (dialer)
        {
            Assert.Contains("closed the connection before the handshake completed", error.Message, StringComparison.Ordinal);
            Assert.Equal(1, Count(dialer, PollerCounter.TlsFailedPeerClosed));
        }
    }

    /// <summary>A TLS dial to a server that reads the ClientHello, sends <paramref name="answer"/> and closes: the connect's error and the dialer (to count on).</summary>
    private static async Task<(AuthenticationException Error, Dialer Dialer)> ConnectToRawServer(PollerBackendKind backend, byte[] answer)
    {
        using var server = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        server.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        server.Listen(4);
        Task answering = Task.Run(async () =>
        {
            using Socket accepted = await server.AcceptAsync();
            byte[] hello = new byte[4096];
            _ = await accepted.ReceiveAsync(hello, SocketFlags.None);
            if (answer.Length > 0)
            {
                await accepted.SendAsync(answer, SocketFlags.None);
            }

            accepted.Shutdown(SocketShutdown.Both);
        });
        var dialer = BackendMatrix.Dialer(backend, new DialerOptions { Pollers = 1, Tls = Trusting });
        AuthenticationException error = await Assert.ThrowsAsync<AuthenticationException>(() => dialer.ConnectAsync(server.LocalEndPoint!));
        await answering.WaitAsync(TimeSpan.FromSeconds(10));
        return (error, dialer);
    }

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task Canceling_a_connect_during_the_handshake_ends_it_at_once(PollerBackendKind backend)
    {
        using var silent = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        silent.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        silent.Listen(4);
        await using Dialer dialer = BackendMatrix.Dialer(backend, new DialerOptions { Pollers = 1, Tls = Trusting with { HandshakeTimeout = TimeSpan.FromSeconds(30) } });
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        var clock = System.Diagnostics.Stopwatch.StartNew();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => dialer.ConnectAsync(silent.LocalEndPoint!, cancellationToken: cts.Token));
        Assert.InRange(clock.ElapsedMilliseconds, 100, 8000);
        await TestServer.Eventually(() => dialer.ConnectionCount == 0, "the canceled connection is closed");
        Assert.Equal(0, dialer.GetStats().Sum(s => s.TlsHandshakeFailures)); // this side gave up: not the handshake's failure
    }

    [Theory]
    [MemberData(nameof(Protocols))]
    public async Task The_second_connection_resumes_the_first_ones_session(PollerBackendKind backend, SslProtocols protocol)
    {
        await using TestServer server = TlsTestServer.Start(new EchoHandler(), backend: backend);
        await using Dialer dialer = BackendMatrix.Dialer(backend, new DialerOptions { Pollers = 1, Tls = Trusting with { EnabledProtocols = protocol } });
        Connection first = await dialer.ConnectAsync(server.EndPoint);
        Assert.False(first.GetTlsInfo()!.IsResumed);
        await EchoOnce(first); // a TLS 1.3 ticket arrives after the handshake: let it be read
        first.Close();

        Connection second = await dialer.ConnectAsync(server.EndPoint);
        TlsConnectionInfo info = second.GetTlsInfo()!;
        Assert.True(info.IsResumed);
        Assert.Equal(protocol, info.Protocol);
        Assert.Equal(TestCertificates.Localhost.Thumbprint, info.RemoteCertificate?.Thumbprint);
        await EchoOnce(second);
        second.Close();

        Assert.Equal(1, server.Count(PollerCounter.TlsHandshakes));
        Assert.Equal(1, server.Count(PollerCounter.TlsResumedHandshakes));
        Assert.Equal(1, Count(dialer, PollerCounter.TlsResumedHandshakes));
    }

    public static TheoryData<PollerBackendKind, SslProtocols> Protocols => BackendMatrix.Cross(SslProtocols.Tls13, SslProtocols.Tls12);

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task Without_tickets_or_without_client_resumption_every_handshake_is_full(PollerBackendKind backend)
    {
        await using TestServer noTickets = TlsTestServer.Start(new EchoHandler(), TlsTestServer.Options with { SessionTickets = false }, backend: backend);
        await using Dialer dialer = BackendMatrix.Dialer(backend, new DialerOptions { Pollers = 1, Tls = Trusting });
        for (int i = 0; i < 2; i++)
        {
            Connection c = await dialer.ConnectAsync(noTickets.EndPoint);
            await EchoOnce(c);
            Assert.False(c.GetTlsInfo()!.IsResumed);
            c.Close();
        }

        await using TestServer tickets = TlsTestServer.Start(new EchoHandler(), backend: backend);
        await using Dialer forgetful = BackendMatrix.Dialer(backend, new DialerOptions { Pollers = 1, Tls = Trusting with { SessionResumption = false } });
        for (int i = 0; i < 2; i++)
        {
            Connection c = await forgetful.ConnectAsync(tickets.EndPoint);
            await EchoOnce(c);
            Assert.False(c.GetTlsInfo()!.IsResumed);
            c.Close();
        }

        Assert.Equal(2, tickets.Count(PollerCounter.TlsHandshakes));
        Assert.Equal(0, tickets.Count(PollerCounter.TlsResumedHandshakes));
    }

    // Not on the matrix: the options are refused at construction, before any backend runs.
    [Fact]
    public async Task Bad_options_fail_at_construction_with_a_message()
    {
        Assert.Throws<ArgumentException>(() => new Dialer(new DialerOptions { Tls = new TlsClientOptions { TargetHost = "bad host!" } }));
        Assert.Throws<ArgumentException>(() => new Dialer(new DialerOptions { Tls = new TlsClientOptions { ApplicationProtocols = [""] } }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Dialer(new DialerOptions { Tls = new TlsClientOptions { EnabledProtocols = SslProtocols.Tls12 | (SslProtocols)0x0040 } }));
        Assert.Throws<ArgumentException>(() => new Dialer(new DialerOptions { Tls = new TlsClientOptions { SkipCertificateValidation = true, RemoteCertificateValidation = (_, _, _, _) => true } }));
        using X509Certificate2 publicOnly = X509CertificateLoader.LoadCertificate(TestCertificates.Localhost.RawData);
        ArgumentException noKey = Assert.Throws<ArgumentException>(() => new Dialer(new DialerOptions { Tls = new TlsClientOptions { ClientCertificate = publicOnly } }));
        Assert.Contains("no private key", noKey.Message, StringComparison.Ordinal);
    }

    private static long Count(Dialer dialer, PollerCounter counter) => dialer.GetStats().Sum(s => s[counter]);

    private static async Task EchoOnce(Connection c)
    {
        c.Writer.WriteString("ping");
        await c.Writer.FlushAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await c.Reader.NextAsync(4, cts.Token);
    }
}
