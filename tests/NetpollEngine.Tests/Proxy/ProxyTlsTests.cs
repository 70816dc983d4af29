using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using Netpoll.Diagnostics;
using Netpoll.Polling;
using Netpoll.Proxy;
using Netpoll.Tests.Support;
using Netpoll.Tests.Tls;
using Netpoll.Tls;

namespace Netpoll.Tests.Proxy;

/// <summary>TLS on either side of the proxy: it terminates TLS from clients, originates it to the upstream, or both; toxics see plaintext.</summary>
public sealed class ProxyTlsTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("netpoll-proxy-tls-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    /// <summary>Each backend with TLS on the client side, the upstream side, or both.</summary>
    public static TheoryData<PollerBackendKind, bool, bool> TlsSides
    {
        get
        {
            var rows = new TheoryData<PollerBackendKind, bool, bool>();
            foreach (PollerBackendKind backend in BackendMatrix.Kinds)
            {
                rows.Add(backend, true, false);
                rows.Add(backend, false, true);
                rows.Add(backend, true, true);
            }

            return rows;
        }
    }

    [Theory]
    [MemberData(nameof(TlsSides))]
    public async Task Bytes_cross_the_proxy_whole_with_tls_on_the_sides_it_is_set_on(PollerBackendKind backend, bool clientTls, bool upstreamTls)
    {
        await using TestServer echo = upstreamTls ? TlsTestServer.Start(new EchoHandler(), backend: backend) : TestServer.Start(new EchoHandler(), BackendMatrix.Server(backend));
        await using TcpProxy proxy = ProxyHarness.Start(echo.EndPoint, o => o with
        {
            Backend = backend,
            Tls = clientTls ? TlsTestServer.Options : null,
            UpstreamTls = upstreamTls ? new TlsClientOptions { TargetHost = "localhost", TrustedRoots = TestCertificates.RootOnly } : null,
        });

        byte[] payload = ProxyHarness.RandomBytes(100_000, 17);
        byte[] back = new byte[payload.Length];
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        if (clientTls)
        {
            await using SslStream client = await TlsTestServer.ConnectSslStreamAsync((IPEndPoint)proxy.EndPoint);
            await client.WriteAsync(payload, deadline.Token);
            await client.ReadExactlyAsync(back, deadline.Token);
        }
        else
        {
            using Socket client = await ProxyHarness.ConnectAsync(proxy.EndPoint);
            await client.SendAsync(payload);
            int read = 0;
            while (read < back.Length)
            {
                int n = await client.ReceiveAsync(back.AsMemory(read), deadline.Token);
                Assert.True(n > 0, $"the proxy closed after {read} of {back.Length} bytes");
                read += n;
            }
        }

        Assert.True(payload.AsSpan().SequenceEqual(back), "the echo came back whole");

        // A pair's bytes are counted when it ends (the client closed above): plaintext, whichever side is encrypted.
        await ProxyHarness.Eventually(() => proxy.GetStats().BytesUpstream == payload.Length, "the proxy counted the plaintext bytes");
        // Both sides of a pair run on one poller: its handshakes are the client's (as server) and the upstream's (as client).
        Assert.Equal((clientTls ? 1 : 0) + (upstreamTls ? 1 : 0), proxy.GetPollerStats().Sum(p => p.TlsHandshakes));
    }

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task A_client_that_is_not_tls_fails_its_handshake_at_the_proxy_and_no_upstream_connection_is_made(PollerBackendKind backend)
    {
        await using TestServer echo = TestServer.Start(new EchoHandler());
        await using TcpProxy proxy = ProxyHarness.Start(echo.EndPoint, o => o with { Tls = TlsTestServer.Options, Backend = backend });

        using Socket client = await ProxyHarness.ConnectAsync(proxy.EndPoint);
        await client.SendAsync("GET / HTTP/1.1\r\n\r\n"u8.ToArray());
        (byte[] _, SocketError _) = await ProxyHarness.ReceiveUntilClosedAsync(client);

        await ProxyHarness.Eventually(() => proxy.GetPollerStats().Sum(p => p[PollerCounter.TlsFailedProtocol]) == 1, "the proxy counted a protocol failure");
        Assert.Equal(0, echo.Loop.GetStats().Sum(s => s.Accepted));
    }

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task Clients_that_never_complete_their_handshake_are_accepted_and_closed_in_the_proxys_own_counts(PollerBackendKind backend)
    {
        // haproxy counts such a client in its frontend's connections and its handshake failures; the proxy's own counters
        // (what Start-NetpollProxy's object shows) counted neither: Accepted stayed 0 and no cause said why it ended.
        await using TestServer echo = TestServer.Start(new EchoHandler());
        await using TcpProxy proxy = ProxyHarness.Start(echo.EndPoint, o => o with { Tls = TlsTestServer.Options, Backend = backend });

        using (Socket plain = await ProxyHarness.ConnectAsync(proxy.EndPoint))
        {
            await plain.SendAsync("GET / HTTP/1.1\r\nHost: x\r\n\r\n"u8.ToArray()); // curl http:// to the https:// port
            await ProxyHarness.ReceiveUntilClosedAsync(plain);
        }

        using (Socket probe = await ProxyHarness.ConnectAsync(proxy.EndPoint))
        {
            probe.Shutdown(SocketShutdown.Send); // a TCP health check: connect, then close without a byte
            await ProxyHarness.ReceiveUntilClosedAsync(probe);
        }

        await using (SslStream good = await TlsTestServer.ConnectSslStreamAsync((IPEndPoint)proxy.EndPoint))
        {
            await good.WriteAsync("ping"u8.ToArray());
            byte[] back = new byte[4];
            await good.ReadExactlyAsync(back);
        }

        await ProxyHarness.Eventually(() => proxy.GetStats().ClosedBy(ProxyCloseCause.Completed) == 1, "the TLS client's link ended");
        TcpProxyStats stats = proxy.GetStats();
        Assert.Equal(3, stats.Accepted);
        Assert.Equal(2, stats.ClosedBy(ProxyCloseCause.TlsHandshakeFailed));
        Assert.Equal(stats.Accepted, stats.Closed.Values.Sum() + stats.Active);
        Assert.Equal(1, echo.Loop.GetStats().Sum(s => s.Accepted)); // only the TLS client reached the upstream
    }

    [ToolTheory("openssl", "openssl")]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task An_upstream_that_resets_mid_stream_reaches_a_tls_client_as_a_truncation_not_a_clean_close_notify(PollerBackendKind backend)
    {
        // A plain client reads the failure as the stream's end after the bytes that came; a TLS client can tell a
        // complete stream (close_notify) from a cut one (a bare FIN) only if the proxy does not claim the former.
        using var upstream = new RawUpstream();
        await using TcpProxy proxy = ProxyHarness.Start(upstream.EndPoint, o => o with { Tls = TlsTestServer.Options, Backend = backend });
        foreach (string flag in new[] { "-tls1_3", "-tls1_2" })
        {
            Task<(int ExitCode, string Output)> client = OpensslClient.SClientAsync((IPEndPoint)proxy.EndPoint, flag, _directory, input: "request\n");
            using (Socket server = await upstream.AcceptAsync())
            {
                await server.ReceiveExactlyAsync("request\n".Length, 10_000);
                await server.SendAsync("partial-answer"u8.ToArray());
                await ProxyHarness.WaitUntilAcknowledgedAsync(server);
                ProxyHarness.Reset(server);
            }

            string output = (await client).Output;
            Assert.Contains("partial-answer", output, StringComparison.Ordinal);
            Assert.False(output.Contains("\nclosed", StringComparison.Ordinal), $"{backend} {flag}: the proxy sent close_notify after its upstream reset:\n{output}");
            Assert.Contains("unexpected eof", output, StringComparison.OrdinalIgnoreCase);
        }

        await ProxyHarness.Eventually(() => proxy.GetStats().ClosedBy(ProxyCloseCause.UpstreamReset) == 2, $"the proxy on {backend} counted both upstream resets");
    }

    [ToolTheory("openssl", "openssl")]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task A_limit_data_toxic_cuts_a_tls_clients_stream_as_a_truncation_not_a_clean_close_notify(PollerBackendKind backend)
    {
        // The toxic stands in for a connection that broke after so many bytes: a TLS client must read it as one.
        using var upstream = new RawUpstream();
        await using TcpProxy proxy = ProxyHarness.Start(upstream.EndPoint, o => o with { Tls = TlsTestServer.Options, Backend = backend });
        await proxy.AddToxicAsync(new LimitDataToxic { Bytes = 5 });
        Task<(int ExitCode, string Output)> client = OpensslClient.SClientAsync((IPEndPoint)proxy.EndPoint, "-tls1_3", _directory, input: "request\n");
        using (Socket server = await upstream.AcceptAsync())
        {
            await server.ReceiveExactlyAsync("request\n".Length, 10_000);
            await server.SendAsync("01234567890123456789"u8.ToArray());
            string output = (await client).Output;
            Assert.Contains("01234", output, StringComparison.Ordinal);
            Assert.DoesNotContain("012345", output, StringComparison.Ordinal);
            Assert.False(output.Contains("\nclosed", StringComparison.Ordinal), $"the proxy sent close_notify when the toxic cut the stream:\n{output}");
            Assert.Contains("unexpected eof", output, StringComparison.OrdinalIgnoreCase);
        }

        await ProxyHarness.Eventually(() => proxy.GetStats().ClosedBy(ProxyCloseCause.ToxicLimitData) == 1, "the proxy counted the toxic's close");
    }
}
