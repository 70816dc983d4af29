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

    /// <summary>A TLS server on <paramref name="backend"/> (checked to run on it: TLS runs on every backend).</summary>
    public static TestServer Start(ConnectionHandler handler, TlsServerOptions? tls = null, DispatchMode dispatch = DispatchMode.Auto, TimeSpan? idleTimeout = null,
        PollerBackendKind backend = PollerBackendKind.Auto) =>
        TestServer.Start(handler, new EventLoopOptions
        {
            Pollers = 1,
            Backend = backend,
            Tls = tls ?? Options,
            Connection = new ConnectionOptions { Dispatch = dispatch, IdleTimeout = idleTimeout ?? TimeSpan.Zero },
        });

    /// <summary>.NET's own TLS client over a socket, trusting the test root only.</summary>
    public static async Task<SslStream> ConnectSslStreamAsync(IPEndPoint endPoint, string host = "localhost", SslProtocols protocols = SslProtocols.None,
        List<SslApplicationProtocol>? alpn = null, System.Security.Cryptography.X509Certificates.X509Certificate2? clientCertificate = null)
    {
        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await socket.ConnectAsync(endPoint, cts.Token);
        var ssl = new SslStream(new NetworkStream(socket, ownsSocket: true));
        var options = new SslClientAuthenticationOptions
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

    /// <summary>The sum of one counter over the server's pollers.</summary>
    public static long Count(this TestServer server, PollerCounter counter) => server.Loop.GetStats().Sum(s => s[counter]);
}
