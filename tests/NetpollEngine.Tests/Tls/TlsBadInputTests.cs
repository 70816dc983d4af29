using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Text;
using Netpoll.Connections;
using Netpoll.Diagnostics;
using Netpoll.Polling;
using Netpoll.Tests.Support;
using Netpoll.Tls;

namespace Netpoll.Tests.Tls;

/// <summary>
/// Peers that do not complete a TLS handshake: each ends its own connection with a counted reason
/// (<see cref="CloseReason"/> and a TlsFailed* counter), and a healthy client on the same poller is served
/// throughout.
/// </summary>
public class TlsBadInputTests
{
    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task Garbage_instead_of_a_ClientHello_fails_that_handshake_as_a_protocol_error(PollerBackendKind backend)
    {
        var echo = new EchoHandler();
        await using TestServer server = TlsTestServer.Start(echo, backend: backend);
        await using SslStream healthy = await TlsTestServer.ConnectSslStreamAsync(server.EndPoint);

        using Socket garbage = await server.ConnectSocketAsync();
        byte[] noise = new byte[600];
        new Random(7).NextBytes(noise);
        noise[0] = 0x47; // not a TLS record type
        await garbage.SendAsync(noise);
        await TlsTestServer.ExpectClosedByServer(garbage);

        await TestServer.Eventually(() => server.Count(PollerCounter.TlsFailedProtocol) == 1, "the server counted a protocol failure");
        await TestServer.Eventually(() => echo.CloseReasons.Contains(CloseReason.HandshakeFailed), "the connection closed as HandshakeFailed");
        await TlsTestServer.AssertEchoes(healthy);
    }

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task Plain_HTTP_sent_to_a_TLS_echo_port_is_a_protocol_error_closed_without_a_word(PollerBackendKind backend)
    {
        var echo = new EchoHandler();
        await using TestServer server = TlsTestServer.Start(echo, backend: backend);
        using Socket plain = await server.ConnectSocketAsync();
        await plain.SendAsync(Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"));
        Assert.Equal("", await ReadUntilClosed(plain)); // echo is no HTTP: nothing to answer in the clear
        await TestServer.Eventually(() => server.Count(PollerCounter.TlsFailedProtocol) == 1, "the server counted a protocol failure");
        await TestServer.Eventually(() => echo.CloseReasons.Contains(CloseReason.HandshakeFailed), "the connection closed as HandshakeFailed");
    }

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task Plain_HTTP_sent_to_an_HTTPS_port_is_answered_400_in_the_clear_as_nginx_does(PollerBackendKind backend)
    {
        var http = new Netpoll.Protocols.HttpHandler();
        await using TestServer server = TlsTestServer.Start(http, backend: backend);
        foreach (string request in new[] { "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n", "POST /x HTTP/1.1\r\nHost: localhost\r\nContent-Length: 2\r\n\r\nhi", "OPTIONS * HTTP/1.1\r\n\r\n" })
        {
            using Socket plain = await server.ConnectSocketAsync();
            await plain.SendAsync(Encoding.ASCII.GetBytes(request));
            string answer = await ReadUntilClosed(plain);
            Assert.StartsWith("HTTP/1.1 400 Bad Request\r\n", answer, StringComparison.Ordinal);
            Assert.Contains("\r\nConnection: close\r\n", answer, StringComparison.Ordinal);
            Assert.EndsWith("\r\n\r\nThe plain HTTP request was sent to HTTPS port\n", answer, StringComparison.Ordinal);
        }

        await TestServer.Eventually(() => server.Count(PollerCounter.TlsFailedProtocol) == 3, "each was counted as a protocol failure");
        Assert.Equal(3, http.GetStatistics().Rejected);
        await using SslStream healthy = await TlsTestServer.ConnectSslStreamAsync(server.EndPoint);
        await TestServer.Eventually(() => server.Loop.ConnectionCount == 1, "only the TLS client is left open");
    }

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task Plain_HTTP_whose_rest_comes_after_the_400_still_reads_the_400_whole(PollerBackendKind backend)
    {
        // The server answers at the first five bytes; what the client sends after its answer (the rest of a head, a
        // body) reaches a socket the server is done with. Closed with those bytes unread, the server's kernel resets
        // the connection, and the reset throws the 400 away from under a client that had not read it yet.
        await using TestServer server = TlsTestServer.Start(new Netpoll.Protocols.HttpHandler(), backend: backend);
        using Socket plain = await server.ConnectSocketAsync();
        await plain.SendAsync("POST /upload HTTP/1.1\r\n"u8.ToArray());
        await Task.Delay(200); // the server has answered and closed by now
        try
        {
            await plain.SendAsync("Host: localhost\r\nContent-Length: 5\r\n\r\nhello"u8.ToArray());
            await Task.Delay(200); // the rest reached the server
        }
        catch (SocketException)
        {
            // the server had already reset: the answer must still be readable
        }

        string answer = await ReadUntilClosed(plain);
        Assert.StartsWith("HTTP/1.1 400 Bad Request\r\n", answer, StringComparison.Ordinal);
        Assert.EndsWith("\r\n\r\nThe plain HTTP request was sent to HTTPS port\n", answer, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task Fewer_plain_bytes_than_a_record_header_then_a_stall_end_at_the_handshake_deadline(PollerBackendKind backend)
    {
        // "GET" is not yet a record header: the transform waits for five bytes (as OpenSSL would), bounded by the deadline.
        var http = new Netpoll.Protocols.HttpHandler();
        await using TestServer server = TlsTestServer.Start(http, TlsTestServer.Options with { HandshakeTimeout = TimeSpan.FromMilliseconds(400) }, backend: backend);
        using Socket stalled = await server.ConnectSocketAsync();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        await stalled.SendAsync("GET"u8.ToArray());
        Assert.Equal("", await ReadUntilClosed(stalled)); // no answer: too little to tell it was HTTP
        Assert.InRange(clock.ElapsedMilliseconds, 300, 8000);
        await TestServer.Eventually(() => server.Count(PollerCounter.TlsFailedTimeout) == 1, "the server counted a handshake timeout");
        Assert.Equal(0, server.Count(PollerCounter.TlsFailedProtocol));
        Assert.Equal(0, http.GetStatistics().Rejected);
    }

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task A_handshake_record_header_followed_by_garbage_is_left_to_OpenSSL_and_gets_no_400(PollerBackendKind backend)
    {
        var http = new Netpoll.Protocols.HttpHandler();
        await using TestServer server = TlsTestServer.Start(http, backend: backend);
        using Socket garbage = await server.ConnectSocketAsync();
        // A whole record (29 bytes) of the handshake type, holding plain HTTP: not a ClientHello.
        byte[] record = [0x16, 0x03, 0x01, 0x00, 0x1D, .. "GET / HTTP/1.1\r\nHost: x\r\n\r\n  "u8.ToArray()];
        await garbage.SendAsync(record);
        Assert.DoesNotContain("HTTP/1.1 400", await ReadUntilClosed(garbage), StringComparison.Ordinal);
        await TestServer.Eventually(() => server.Count(PollerCounter.TlsFailedProtocol) == 1, "the server counted a protocol failure");
        Assert.Equal(0, http.GetStatistics().Rejected);
    }

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task Bytes_that_are_neither_TLS_nor_an_HTTP_method_get_no_answer_from_an_HTTPS_port(PollerBackendKind backend)
    {
        await using TestServer server = TlsTestServer.Start(new Netpoll.Protocols.HttpHandler(), backend: backend);
        // A blank line before a request, a method that is no token, an SSLv2-style hello (high bit set) with a garbage body.
        foreach (byte[] first in new byte[][] { "\r\nGET / HTTP/1.1\r\n\r\n"u8.ToArray(), "G(T) /\r\n\r\n"u8.ToArray(), [0x80, 0x2E, 0x01, 0x03, 0x01, .. new byte[43]] })
        {
            using Socket plain = await server.ConnectSocketAsync();
            await plain.SendAsync(first);
            Assert.DoesNotContain("HTTP/1.1 400", await ReadUntilClosed(plain), StringComparison.Ordinal);
        }

        await TestServer.Eventually(() => server.Count(PollerCounter.TlsFailedProtocol) == 3, "each was counted as a protocol failure");
    }

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task A_handshake_cut_short_by_the_peer_is_counted_as_peer_closed(PollerBackendKind backend)
    {
        var echo = new EchoHandler();
        await using TestServer server = TlsTestServer.Start(echo, backend: backend);
        await using SslStream healthy = await TlsTestServer.ConnectSslStreamAsync(server.EndPoint);

        // The first bytes of a real ClientHello, then FIN.
        byte[] hello = await RecordClientHello();
        using Socket truncated = await server.ConnectSocketAsync();
        await truncated.SendAsync(hello.AsMemory(0, hello.Length / 2));
        truncated.Shutdown(SocketShutdown.Send);
        await TlsTestServer.ExpectClosedByServer(truncated);

        await TestServer.Eventually(() => server.Count(PollerCounter.TlsFailedPeerClosed) == 1, "the server counted a truncated handshake");
        await TestServer.Eventually(() => echo.CloseReasons.Contains(CloseReason.PeerClosed), "the connection closed as PeerClosed");
        Assert.Equal(0, server.Count(PollerCounter.TlsFailedProtocol));
        await TlsTestServer.AssertEchoes(healthy);
    }

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task A_TCP_probe_that_closes_without_a_byte_is_not_a_failed_handshake(PollerBackendKind backend)
    {
        var echo = new EchoHandler();
        await using TestServer server = TlsTestServer.Start(echo, backend: backend);
        using (Socket probe = await server.ConnectSocketAsync())
        {
            probe.Shutdown(SocketShutdown.Both); // a health check: connect, then go
        }

        await TestServer.Eventually(() => echo.CloseReasons.Contains(CloseReason.PeerClosed), "the probe's connection closed");
        Assert.Equal(0, server.Loop.GetStats().Sum(s => s.TlsHandshakeFailures));
        Assert.Equal(0, server.Loop.GetStats().Sum(s => s.TlsHandshakes));
    }

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task A_client_that_stalls_mid_handshake_is_closed_at_the_handshake_deadline(PollerBackendKind backend)
    {
        var echo = new EchoHandler();
        await using TestServer server = TlsTestServer.Start(echo, TlsTestServer.Options with { HandshakeTimeout = TimeSpan.FromMilliseconds(400) }, backend: backend);
        await using SslStream healthy = await TlsTestServer.ConnectSslStreamAsync(server.EndPoint);

        byte[] hello = await RecordClientHello();
        using Socket stalled = await server.ConnectSocketAsync();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        await stalled.SendAsync(hello.AsMemory(0, 10)); // a record header and a little, then nothing
        await TlsTestServer.ExpectClosedByServer(stalled);
        Assert.InRange(clock.ElapsedMilliseconds, 300, 8000);

        await TestServer.Eventually(() => server.Count(PollerCounter.TlsFailedTimeout) == 1, "the server counted a handshake timeout");
        await TestServer.Eventually(() => echo.CloseReasons.Contains(CloseReason.HandshakeTimeout), "the connection closed as HandshakeTimeout");
        Assert.Equal(1, server.Loop.GetStats().Sum(s => s.Timeouts));
        await TlsTestServer.AssertEchoes(healthy); // the healthy connection is older than the deadline and still served
    }

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task A_host_name_the_server_has_no_certificate_for_is_refused_when_there_is_no_default(PollerBackendKind backend)
    {
        var tls = new TlsServerOptions { HostCertificates = new Dictionary<string, System.Security.Cryptography.X509Certificates.X509Certificate2> { ["localhost"] = TestCertificates.Localhost } };
        await using TestServer server = TlsTestServer.Start(new EchoHandler(), tls, backend: backend);
        await using SslStream healthy = await TlsTestServer.ConnectSslStreamAsync(server.EndPoint, host: "localhost");

        await Assert.ThrowsAnyAsync<AuthenticationException>(() => TlsTestServer.ConnectSslStreamAsync(server.EndPoint, host: "unknown.test"));
        await TestServer.Eventually(() => server.Count(PollerCounter.TlsFailedUnknownHostName) == 1, "the server counted an unknown host name");
        await TlsTestServer.AssertEchoes(healthy);
    }

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task A_flood_of_bad_handshakes_leaves_nothing_open_and_every_one_counted(PollerBackendKind backend)
    {
        await using TestServer server = TlsTestServer.Start(new EchoHandler(), backend: backend);
        await using SslStream healthy = await TlsTestServer.ConnectSslStreamAsync(server.EndPoint);
        const int Bad = 40;
        var tasks = new List<Task>();
        for (int i = 0; i < Bad; i++)
        {
            int kind = i % 2;
            tasks.Add(Task.Run(async () =>
            {
                using Socket s = await server.ConnectSocketAsync();
                if (kind == 0)
                {
                    await s.SendAsync(new byte[] { 0x16, 0x03, 0x01, 0xFF, 0xFF, 0x01, 0x00 }); // a record claiming 65535 bytes, then garbage length
                    await s.SendAsync(new byte[300]);
                }
                else
                {
                    await s.SendAsync(new byte[] { 0x16, 0x03, 0x01 });
                }

                s.Shutdown(SocketShutdown.Send);
                await TlsTestServer.ExpectClosedByServer(s);
            }));
        }

        await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromSeconds(30));
        await TestServer.Eventually(() => server.Loop.GetStats().Sum(s => s.TlsHandshakeFailures) == Bad, $"all {Bad} failures were counted");
        await TestServer.Eventually(() => server.Loop.ConnectionCount == 1, "only the healthy connection is left");
        await TlsTestServer.AssertEchoes(healthy);
    }

    /// <summary>Everything the server sends until it closes (bounded by ExpectClosedByServer's 15 s), as Latin-1 text.</summary>
    private static async Task<string> ReadUntilClosed(Socket socket)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        var received = new MemoryStream();
        byte[] buffer = new byte[4096];
        try
        {
            int n;
            while ((n = await socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token)) > 0)
            {
                received.Write(buffer, 0, n);
            }
        }
        catch (SocketException)
        {
            // a reset after the answer is a close too; what came before it is what counts
        }

        return Encoding.Latin1.GetString(received.ToArray());
    }

    /// <summary>The bytes .NET's TLS client sends first (its ClientHello), captured from a socket pair.</summary>
    private static async Task<byte[]> RecordClientHello()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0));
        listener.Listen(1);
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(listener.LocalEndPoint!);
        using Socket accepted = await listener.AcceptAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var ssl = new SslStream(new NetworkStream(client, ownsSocket: false));
        Task handshake = ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = "localhost" }, cts.Token);
        byte[] buffer = new byte[16 * 1024];
        int n = await accepted.ReceiveAsync(buffer, SocketFlags.None, cts.Token);
        accepted.Close();
        try
        {
            await handshake;
        }
        catch (Exception ex) when (ex is IOException or AuthenticationException)
        {
            // expected: nobody answered
        }

        await ssl.DisposeAsync();
        Assert.True(n > 50, "a ClientHello is more than 50 bytes");
        return buffer[..n];
    }
}
