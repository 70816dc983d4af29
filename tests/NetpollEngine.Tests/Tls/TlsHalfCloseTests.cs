using System.Net;
using System.Net.Security;
using System.Security.Authentication;
using System.Text;
using Netpoll.Connections;
using Netpoll.Polling;
using Netpoll.Proxy;
using Netpoll.Tests.Proxy;
using Netpoll.Tests.Support;
using Netpoll.Tls;

namespace Netpoll.Tests.Tls;

/// <summary>
/// Half-close over TLS, on every backend: ShutdownSend sends close_notify before the FIN (RFC 8446 §6.1), so a
/// real client reads a clean end of stream and not a truncation; a peer's close_notify reads as the end of its
/// stream while our side stays writable under TLS 1.3; and the proxy passes both on, whichever side is TLS.
/// </summary>
public sealed class TlsHalfCloseTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("netpoll-tls-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static TestServer Start(PollerBackendKind backend, Func<Connection, ValueTask> onRequest) =>
        TestServer.Start(onRequest, BackendMatrix.Server(backend) with { Pollers = 1, Tls = TlsTestServer.Options });

    /// <summary>Answers "bye" to the first request and half-closes.</summary>
    private static async ValueTask SayByeAndShutdown(Connection c)
    {
        c.Reader.Skip(c.Reader.Length);
        if (c.Context is not null)
        {
            return;
        }

        c.Context = "answered";
        c.Writer.WriteString("bye\n");
        await c.Writer.FlushAsync();
        c.ShutdownSend();
    }

    /// <summary>Reads "ping", waits for the peer's end of stream (its close_notify), then answers "pong": a write after the peer closed its side.</summary>
    private static async ValueTask PongAfterPeerClosed(Connection c)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        ReadOnlyMemory<byte> ping = await c.Reader.NextAsync(4, cts.Token);
        Assert.Equal("ping", Encoding.ASCII.GetString(ping.Span));
        await Assert.ThrowsAsync<EndOfStreamException>(async () => await c.Reader.WaitAsync(1, cts.Token));
        c.Writer.WriteString("pong");
        await c.Writer.FlushAsync();
    }

    [ToolFact("openssl", "openssl")]
    public async Task Openssl_s_client_reads_close_notify_before_the_FIN_of_ShutdownSend_on_every_backend()
    {
        foreach (PollerBackendKind backend in BackendMatrix.Kinds)
        {
            await using TestServer server = Start(backend, SayByeAndShutdown);
            foreach (string flag in new[] { "-tls1_3", "-tls1_2" })
            {
                string output = await SClientAsync((IPEndPoint)server.EndPoint, flag);
                Assert.Contains("bye", output, StringComparison.Ordinal);
                // s_client prints "closed" for a close_notify; a bare FIN would be an "unexpected eof".
                Assert.True(output.Contains("\nclosed", StringComparison.Ordinal), $"{backend} {flag}: no close_notify before the FIN:\n{output}");
                Assert.DoesNotContain("unexpected eof", output, StringComparison.OrdinalIgnoreCase);
            }
        }
    }

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task After_ShutdownSend_the_server_still_reads_what_a_TLS_1_3_client_sends(PollerBackendKind backend)
    {
        var received = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using TestServer server = Start(backend, async c =>
        {
            if (c.Context is null)
            {
                c.Context = "half-closed";
                c.Reader.Skip(1);
                c.Writer.WriteString("bye\n");
                await c.Writer.FlushAsync();
                c.ShutdownSend();
                return;
            }

            if (c.Reader.Length >= 4)
            {
                received.TrySetResult(c.Reader.ReadString(4));
            }
        });

        await using SslStream client = await TlsTestServer.ConnectSslStreamAsync(server.EndPoint, protocols: SslProtocols.Tls13);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        await client.WriteAsync("x"u8.ToArray(), cts.Token);
        byte[] bye = new byte[4];
        await client.ReadExactlyAsync(bye, cts.Token);
        Assert.Equal("bye\n", Encoding.ASCII.GetString(bye));
        Assert.Equal(0, await client.ReadAsync(new byte[1], cts.Token)); // the server's close_notify: end of its stream

        await client.WriteAsync("more"u8.ToArray(), cts.Token); // TLS 1.3 half-close: our side is still open
        Assert.Equal("more", await received.Task.WaitAsync(cts.Token));
    }

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task A_TLS_1_3_clients_close_notify_ends_its_stream_and_the_server_still_answers(PollerBackendKind backend)
    {
        await using TestServer server = Start(backend, PongAfterPeerClosed);
        await using SslStream client = await TlsTestServer.ConnectSslStreamAsync(server.EndPoint, protocols: SslProtocols.Tls13);
        await AssertPongAfterCloseNotifyAsync(client);
    }

    [Fact]
    public async Task The_proxy_passes_a_close_notify_on_as_close_notify_both_ways()
    {
        var upstreamTls = new TlsClientOptions { TargetHost = "localhost", TrustedRoots = TestCertificates.RootOnly };
        foreach (PollerBackendKind backend in BackendMatrix.Kinds)
        {
            // Client → proxy → upstream: the client's close_notify becomes the upstream's end of stream, and the
            // upstream's answer written after it comes back.
            await using (TestServer upstream = Start(backend, PongAfterPeerClosed))
            await using (TcpProxy proxy = ProxyHarness.Start(upstream.EndPoint, o => o with { Tls = TlsTestServer.Options, UpstreamTls = upstreamTls }))
            await using (SslStream client = await TlsTestServer.ConnectSslStreamAsync((IPEndPoint)proxy.EndPoint, protocols: SslProtocols.Tls13))
            {
                await AssertPongAfterCloseNotifyAsync(client);
            }

            // Upstream → proxy → client: the upstream's ShutdownSend reaches a real client as close_notify, then EOF.
            if (ExternalTool.Find("openssl") is not null)
            {
                await using TestServer upstream = Start(backend, SayByeAndShutdown);
                await using TcpProxy proxy = ProxyHarness.Start(upstream.EndPoint, o => o with { Tls = TlsTestServer.Options, UpstreamTls = upstreamTls });
                string output = await SClientAsync((IPEndPoint)proxy.EndPoint, "-tls1_3");
                Assert.Contains("bye", output, StringComparison.Ordinal);
                Assert.True(output.Contains("\nclosed", StringComparison.Ordinal), $"{backend}: the proxy sent no close_notify before the FIN:\n{output}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task A_close_notify_and_the_FIN_right_behind_it_end_the_stream_once(PollerBackendKind backend)
    {
        // curl's way out: close_notify, then the FIN at once, while the server's handler still runs: the answer still
        // goes, then a clean end. (The FIN read after a decoded close_notify was once taken for a second end of stream —
        // seen as a failed debug assertion under curl → TLS proxy on io_uring in ./test.sh; these rounds did not hit
        // that timing, so they pin the behaviour rather than reproduce it.)
        await using TestServer server = Start(backend, async c =>
        {
            int n = c.Reader.Length;
            if (n > 0)
            {
                await Task.Delay(50); // still running when the close_notify and the FIN arrive
                await c.Writer.AppendFromAndFlushAsync(c.Reader, n);
            }
        });
        for (int round = 0; round < 10; round++)
        {
            using var socket = await server.ConnectSocketAsync();
            await using SslStream client = await TlsTestServer.ConnectSslStreamAsync(new System.Net.Sockets.NetworkStream(socket, ownsSocket: false));
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            await client.WriteAsync("ping"u8.ToArray(), cts.Token);
            await client.ShutdownAsync();
            socket.Shutdown(System.Net.Sockets.SocketShutdown.Send);
            byte[] echoed = new byte[4];
            await client.ReadExactlyAsync(echoed, cts.Token);
            Assert.Equal("ping", Encoding.ASCII.GetString(echoed));
            Assert.Equal(0, await client.ReadAsync(new byte[1], cts.Token));
        }

        await TestServer.Eventually(() => server.Loop.ConnectionCount == 0, "every connection closed after its peer's end");
    }

    private static async Task AssertPongAfterCloseNotifyAsync(SslStream client)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        await client.WriteAsync("ping"u8.ToArray(), cts.Token);
        await client.ShutdownAsync(); // close_notify; the socket stays open for the answer
        byte[] pong = new byte[4];
        await client.ReadExactlyAsync(pong, cts.Token);
        Assert.Equal("pong", Encoding.ASCII.GetString(pong));
        Assert.Equal(0, await client.ReadAsync(new byte[1], cts.Token));
    }

    /// <summary>openssl s_client sends one line and, ignoring its stdin's end, reads until the server ends the stream.</summary>
    private async Task<string> SClientAsync(IPEndPoint endPoint, string flag)
    {
        (int exit, string output) = await OpensslClient.SClientAsync(endPoint, flag, _directory);
        Assert.True(exit == 0, $"openssl s_client {flag} failed ({exit}): {output}");
        return output;
    }
}
