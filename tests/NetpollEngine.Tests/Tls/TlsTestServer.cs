using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using Netpoll.Client;
using Netpoll.Connections;
using Netpoll.Diagnostics;
using Netpoll.Server;
using Netpoll.Polling;
using Netpoll.Tests.Support;
using Netpoll.Tls;

namespace Netpoll.Tests.Tls;

/// <summary>A <see cref="TestServer"/> with TLS, plus the clients the tests use against it.</summary>
internal static class TlsTestServer
{
    /// <summary>A TLS client of the test root on <paramref name="backend"/>.</summary>
    public static Dialer Dialer(PollerBackendKind backend) =>
        BackendMatrix.Dialer(backend, new DialerOptions { Pollers = 1, Tls = new TlsClientOptions { TargetHost = "localhost", TrustedRoots = TestCertificates.RootOnly } });

    public static TlsServerOptions Options => new() { Certificate = TestCertificates.Localhost, HandshakeTimeout = TimeSpan.FromSeconds(5) };

    /// <summary>Options of a server that requires a client certificate from the test root (nginx's ssl_verify_client on, openssl s_server -Verify).</summary>
    public static TlsServerOptions RequiringClientCertificate => Options with
    {
        ClientCertificateMode = ClientCertificateMode.Required,
        ClientCertificateTrust = TestCertificates.RootOnly,
    };

    /// <summary>A TLS server on <paramref name="backend"/> (checked to run on it: TLS runs on every backend).</summary>
    public static TestServer Start(ConnectionHandler handler, TlsServerOptions? tls = null, DispatchMode dispatch = DispatchMode.Auto, TimeSpan? idleTimeout = null,
        PollerBackendKind backend = PollerBackendKind.Auto) =>
        TestServer.Start(handler, ServerOptions(tls, dispatch, idleTimeout, backend));

    /// <summary>A TLS server whose handler is <paramref name="onRequest"/>, on <paramref name="backend"/>.</summary>
    public static TestServer Start(Func<Connection, ValueTask> onRequest, DispatchMode dispatch = DispatchMode.Auto, PollerBackendKind backend = PollerBackendKind.Auto) =>
        TestServer.Start(onRequest, ServerOptions(null, dispatch, null, backend));

    /// <summary>.NET's own TLS client over a socket, trusting the test root only.</summary>
    public static async Task<SslStream> ConnectSslStreamAsync(IPEndPoint endPoint, string host = "localhost", SslProtocols protocols = SslProtocols.None,
        List<SslApplicationProtocol>? alpn = null, System.Security.Cryptography.X509Certificates.X509Certificate2? clientCertificate = null)
    {
        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await socket.ConnectAsync(endPoint, cts.Token);
        return await AuthenticateAsync(new NetworkStream(socket, ownsSocket: true), ClientOptions(host, protocols, alpn, clientCertificate), TimeSpan.FromSeconds(10));
    }

    /// <summary>.NET's TLS client over <paramref name="transport"/> (a test's own wire), trusting the test root only.</summary>
    public static Task<SslStream> ConnectSslStreamAsync(Stream transport, SslProtocols protocols = SslProtocols.None) =>
        AuthenticateAsync(transport, ClientOptions("localhost", protocols, null, null), TimeSpan.FromSeconds(60));

    /// <summary>The server closes its side: the read sees EOF or a reset, within 15 s (an alert may come first).</summary>
    public static async Task ExpectClosedByServer(Socket socket)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        byte[] buffer = new byte[4096];
        try
        {
            while (await socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token) > 0)
            {
                // an alert may come first
            }
        }
        catch (SocketException)
        {
            // a reset is a close too
        }
    }

    /// <summary>An echo server still answers <paramref name="ssl"/>.</summary>
    public static async Task AssertEchoes(SslStream ssl)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        byte[] ping = System.Text.Encoding.ASCII.GetBytes("still served");
        await ssl.WriteAsync(ping, cts.Token);
        byte[] pong = new byte[ping.Length];
        await ssl.ReadExactlyAsync(pong, cts.Token);
        Assert.Equal(ping, pong);
    }

    private static SslClientAuthenticationOptions ClientOptions(string host, SslProtocols protocols, List<SslApplicationProtocol>? alpn,
        System.Security.Cryptography.X509Certificates.X509Certificate2? clientCertificate) => new()
    {
        TargetHost = host,
        EnabledSslProtocols = protocols,
        ApplicationProtocols = alpn,
        CertificateChainPolicy = new System.Security.Cryptography.X509Certificates.X509ChainPolicy
        {
            TrustMode = System.Security.Cryptography.X509Certificates.X509ChainTrustMode.CustomRootTrust,
            CustomTrustStore = { TestCertificates.Root },
            RevocationMode = System.Security.Cryptography.X509Certificates.X509RevocationMode.NoCheck,
        },
        ClientCertificates = clientCertificate is null ? null : [clientCertificate],
    };

    private static async Task<SslStream> AuthenticateAsync(Stream transport, SslClientAuthenticationOptions options, TimeSpan timeout)
    {
        var ssl = new SslStream(transport);
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await ssl.AuthenticateAsClientAsync(options, cts.Token);
        }
        catch
        {
            await ssl.DisposeAsync();
            throw;
        }

        return ssl;
    }

    private static EventLoopOptions ServerOptions(TlsServerOptions? tls, DispatchMode dispatch, TimeSpan? idleTimeout, PollerBackendKind backend) => new()
    {
        Pollers = 1,
        Backend = backend,
        Tls = tls ?? Options,
        Connection = new ConnectionOptions { Dispatch = dispatch, IdleTimeout = idleTimeout ?? TimeSpan.Zero },
    };

    /// <summary>The sum of one counter over the server's pollers.</summary>
    public static long Count(this TestServer server, PollerCounter counter) => server.Loop.GetStats().Sum(s => s[counter]);
}
