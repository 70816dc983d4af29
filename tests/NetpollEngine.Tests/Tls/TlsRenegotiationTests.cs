using Netpoll.Diagnostics;
using Netpoll.Polling;
using Netpoll.Tests.Support;

namespace Netpoll.Tests.Tls;

/// <summary>
/// A TLS 1.2 client asking to renegotiate (openssl s_client's "R" command), on every backend: the server refuses
/// (OpenSSL's no_renegotiation alert: the engine sets SSL_OP_NO_RENEGOTIATION), counts no second handshake, frees
/// the connection's SSL object when it ends, and keeps serving.
/// </summary>
public sealed class TlsRenegotiationTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("netpoll-tls-reneg-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [ToolFact("openssl", "openssl")]
    public async Task A_TLS_1_2_renegotiation_is_refused_and_the_server_keeps_serving_on_every_backend()
    {
        foreach (PollerBackendKind backend in BackendMatrix.Kinds)
        {
            var echo = new EchoHandler();
            await using TestServer server = TlsTestServer.Start(echo, backend: backend);
            string root = TestCertificates.WritePem(TestCertificates.Root, Path.Combine(_directory, "root.pem"));
            string[] arguments = ["s_client", "-connect", $"127.0.0.1:{server.EndPoint.Port}", "-servername", "localhost", "-CAfile", root, "-tls1_2"];
            (int _, string output, string error) = await ExternalTool.RunAsync("openssl", arguments,
                input: "R\n", timeout: TimeSpan.FromSeconds(30), closeInputAfter: TimeSpan.FromSeconds(2));
            string all = output + error;
            Assert.True(all.Contains("RENEGOTIATING", StringComparison.Ordinal), $"{backend}: s_client did not try:\n{all}");
            Assert.True(all.Contains("no renegotiation", StringComparison.Ordinal), $"{backend}: the server did not refuse with a no_renegotiation alert:\n{all}");

            await TestServer.Eventually(() => server.Loop.ConnectionCount == 0, $"{backend}: the renegotiating connection ended");
            Assert.Equal(1, server.Count(PollerCounter.TlsHandshakes)); // the refused renegotiation is no second handshake
            Assert.Equal(0, server.Loop.TlsContext!.LiveSessions);

            // Served after it.
            await using System.Net.Security.SslStream next = await TlsTestServer.ConnectSslStreamAsync(server.EndPoint);
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            await next.WriteAsync("again"u8.ToArray(), cts.Token);
            byte[] again = new byte[5];
            await next.ReadExactlyAsync(again, cts.Token);
            Assert.Equal("again"u8.ToArray(), again);
            Assert.Equal(0, server.Loop.GetStats().Sum(s => s.TlsHandshakeFailures)); // an established session that ended, not a failed handshake
        }
    }
}
