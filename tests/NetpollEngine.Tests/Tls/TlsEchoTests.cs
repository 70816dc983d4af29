using System.Net.Security;
using System.Security.Authentication;
using System.Text;
using Netpoll.Client;
using Netpoll.Connections;
using Netpoll.Diagnostics;
using Netpoll.Polling;
using Netpoll.Tests.Support;
using Netpoll.Tls;

namespace Netpoll.Tests.Tls;

/// <summary>The built-in handlers run unchanged over TLS, for .NET's SslStream and for the engine's own TLS dialer, in both dispatch modes.</summary>
public class TlsEchoTests
{
    public static TheoryData<PollerBackendKind, DispatchMode, SslProtocols> EchoCases()
    {
        var rows = new TheoryData<PollerBackendKind, DispatchMode, SslProtocols>();
        foreach (PollerBackendKind backend in BackendMatrix.Kinds)
        {
            foreach (DispatchMode dispatch in new[] { DispatchMode.Inline, DispatchMode.ThreadPool })
            {
                rows.Add(backend, dispatch, SslProtocols.Tls13);
                rows.Add(backend, dispatch, SslProtocols.Tls12);
            }
        }

        return rows;
    }

    [Theory]
    [MemberData(nameof(EchoCases))]
    public async Task SslStream_echoes_through_a_TLS_server(PollerBackendKind backend, DispatchMode dispatch, SslProtocols protocol)
    {
        await using TestServer server = TlsTestServer.Start(new EchoHandler(), dispatch: dispatch, backend: backend);
        await using SslStream ssl = await TlsTestServer.ConnectSslStreamAsync(server.EndPoint, protocols: protocol);
        Assert.Equal(protocol, ssl.SslProtocol);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        for (int size = 1; size <= 256 * 1024; size *= 8)
        {
            byte[] message = new byte[size];
            Random.Shared.NextBytes(message);
            await ssl.WriteAsync(message, cts.Token);
            byte[] echoed = new byte[size];
            await ssl.ReadExactlyAsync(echoed, cts.Token);
            Assert.Equal(message, echoed);
        }

        Assert.Equal(1, server.Count(PollerCounter.TlsHandshakes));
        Assert.Equal(0, server.Loop.GetStats().Sum(s => s.TlsHandshakeFailures));
    }

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task The_dialer_echoes_over_TLS_and_reports_what_was_negotiated(PollerBackendKind backend)
    {
        await using TestServer server = TlsTestServer.Start(new EchoHandler(), TlsTestServer.Options with { ApplicationProtocols = ["h2", "echo/1"] }, backend: backend);
        await using Dialer dialer = BackendMatrix.Dialer(backend, new DialerOptions
        {
            Pollers = 1,
            Tls = new TlsClientOptions { TargetHost = "localhost", TrustedRoots = TestCertificates.RootOnly, ApplicationProtocols = ["echo/1"] },
        });
        Connection c = await dialer.ConnectAsync(server.EndPoint);
        TlsConnectionInfo info = Assert.IsType<TlsConnectionInfo>(c.GetTlsInfo());
        Assert.Equal(SslProtocols.Tls13, info.Protocol);
        Assert.Equal("echo/1", info.ApplicationProtocol);
        Assert.Equal("localhost", info.HostName);
        Assert.False(info.IsResumed);
        Assert.Equal(TestCertificates.Localhost.Thumbprint, info.RemoteCertificate?.Thumbprint);
        Assert.StartsWith("TLS_", info.CipherSuite, StringComparison.Ordinal);

        c.Writer.WriteString("hello over tls");
        await c.Writer.FlushAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        ReadOnlyMemory<byte> echoed = await c.Reader.NextAsync(14, cts.Token);
        Assert.Equal("hello over tls", Encoding.ASCII.GetString(echoed.Span));
        c.Close();
    }
}
