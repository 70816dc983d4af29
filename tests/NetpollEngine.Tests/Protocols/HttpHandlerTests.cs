using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Netpoll.Client;
using Netpoll.Connections;
using Netpoll.Protocols;
using Netpoll.Polling;
using Netpoll.Server;
using Netpoll.Tests.Support;

namespace Netpoll.Tests.Protocols;

public class HttpHandlerTests
{
    public static TheoryData<PollerBackendKind, string> Malformed => BackendMatrix.Cross(
        "GARBAGE\r\n\r\n",
        "GET /\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: x\r\nX: a\0b\r\n\r\n",
        "GET  / HTTP/1.1\r\n\r\n",
        "GET / HTTP/1.1\r\nBad Header: x\r\n\r\n",
        "GET / HTTP/1.1\r\n folded: x\r\n\r\n",
        "GET / HTTP/1.1\r\nContent-Length: 12x\r\n\r\n");

    private static TestServer StartHttp(PollerBackendKind backend, DispatchMode dispatch = DispatchMode.ThreadPool)
    {
        EventLoop? loop = null;
        var server = TestServer.Start(new HttpHandler(() => loop!.GetStats()), new EventLoopOptions { Backend = backend, Connection = new ConnectionOptions { Dispatch = dispatch } });
        loop = server.Loop;
        return server;
    }

    private static async Task<string> Exchange(Socket client, string request, bool untilClose = false)
    {
        await client.SendAsync(Encoding.ASCII.GetBytes(request));
        if (untilClose)
        {
            return Encoding.ASCII.GetString(await client.ReceiveToEndAsync());
        }

        // Read one response: headers, then Content-Length bytes.
        var text = new StringBuilder();
        while (!text.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
        {
            Assert.True(text.Length < 64 * 1024, "no response head ended in the first 64 KiB"); // bounded in count; each read in time
            text.Append(Encoding.ASCII.GetString(await client.ReceiveExactlyAsync(1)));
        }

        string head = text.ToString();
        int length = int.Parse(head.Split("\r\n").First(l => l.StartsWith("Content-Length:", StringComparison.Ordinal))[15..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
        return head + (length > 0 && !request.StartsWith("HEAD", StringComparison.Ordinal) ? Encoding.ASCII.GetString(await client.ReceiveExactlyAsync(length)) : "");
    }

    [Theory]
    [MemberData(nameof(BackendMatrix.Dispatch), MemberType = typeof(BackendMatrix))]
    public async Task HttpClient_gets_hello_world_over_keep_alive(PollerBackendKind backend, DispatchMode dispatch)
    {
        await using TestServer server = StartHttp(backend, dispatch);
        using var http = new HttpClient { BaseAddress = new Uri($"http://{server.EndPoint}/"), Timeout = TimeSpan.FromSeconds(10) };
        for (int i = 0; i < 3; i++)
        {
            using HttpResponseMessage response = await http.GetAsync("/");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("Hello, World!", await response.Content.ReadAsStringAsync());
            Assert.Equal("text/plain", response.Content.Headers.ContentType!.MediaType);
            Assert.NotNull(response.Headers.Date);
        }

        Assert.Equal(1, server.Loop.GetStats().Sum(s => s.Accepted)); // one kept-alive connection
        using HttpResponseMessage missing = await http.GetAsync("/nope");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        using HttpResponseMessage post = await http.PostAsync("/", new StringContent("body"));
        Assert.Equal(HttpStatusCode.MethodNotAllowed, post.StatusCode);
    }

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task Stats_returns_the_servers_counters_as_json(PollerBackendKind backend)
    {
        await using TestServer server = StartHttp(backend);
        using var http = new HttpClient { BaseAddress = new Uri($"http://{server.EndPoint}/") };
        using JsonDocument stats = JsonDocument.Parse(await http.GetStringAsync("/stats"));
        Assert.Equal(1, stats.RootElement.GetProperty("connections").GetInt64());
        Assert.True(stats.RootElement.GetProperty("bytesIn").GetInt64() > 0);
        Assert.Equal(server.Loop.Options.Pollers, stats.RootElement.GetProperty("pollers").GetArrayLength());
    }

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task Pipelined_requests_get_responses_in_order(PollerBackendKind backend)
    {
        await using TestServer server = StartHttp(backend);
        using Socket client = await server.ConnectSocketAsync();
        string three = "GET / HTTP/1.1\r\nHost: x\r\n\r\nGET /missing HTTP/1.1\r\nHost: x\r\n\r\nHEAD / HTTP/1.1\r\nHost: x\r\n\r\n";
        await client.SendAsync(Encoding.ASCII.GetBytes(three));
        client.Shutdown(SocketShutdown.Send); // a half-closed client still gets every answer
        string all = Encoding.ASCII.GetString(await client.ReceiveToEndAsync());
        string[] statuses = [.. System.Text.RegularExpressions.Regex.Matches(all, @"HTTP/1\.1 \d{3} [^\r]*").Select(m => m.Value)];
        Assert.Equal(["HTTP/1.1 200 OK", "HTTP/1.1 404 Not Found", "HTTP/1.1 200 OK"], statuses);
        Assert.Equal(1, CountOf(all, "Hello, World!")); // HEAD has no body
    }

    [Theory]
    [MemberData(nameof(Malformed))]
    public async Task A_malformed_request_gets_400_and_the_connection_closed(PollerBackendKind backend, string request)
    {
        await using TestServer server = StartHttp(backend);
        using Socket client = await server.ConnectSocketAsync();
        string reply = await Exchange(client, request, untilClose: true);
        Assert.StartsWith("HTTP/1.1 400 Bad Request\r\n", reply, StringComparison.Ordinal);
        Assert.Contains("Connection: close", reply, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task An_oversized_header_section_gets_431_and_the_connection_closed(PollerBackendKind backend)
    {
        await using TestServer server = StartHttp(backend);
        using Socket client = await server.ConnectSocketAsync();
        string request = "GET / HTTP/1.1\r\nX-Big: " + new string('a', 33 * 1024) + "\r\n\r\n";
        string reply = await Exchange(client, request, untilClose: true);
        Assert.StartsWith("HTTP/1.1 431 ", reply, StringComparison.Ordinal);

        // The same without the end of headers ever arriving: rejected once 32 KiB pile up.
        using Socket slow = await server.ConnectSocketAsync();
        reply = await Exchange(slow, "GET / HTTP/1.1\r\nX-Big: " + new string('b', 33 * 1024), untilClose: true);
        Assert.StartsWith("HTTP/1.1 431 ", reply, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task A_browser_sized_head_with_two_4_KiB_cookies_and_an_8_KiB_header_line_is_served(PollerBackendKind backend)
    {
        // nginx takes header lines up to 8 KiB (large_client_header_buffers 4 8k) and Kestrel heads up to 32 KiB.
        await using TestServer server = StartHttp(backend);
        using Socket client = await server.ConnectSocketAsync();
        string line = "X-Line: " + new string('l', 8 * 1024 - "X-Line: ".Length);
        string request = $"GET / HTTP/1.1\r\nHost: x\r\nCookie: a={new string('c', 4096)}\r\nCookie: b={new string('d', 4096)}\r\n{line}\r\n\r\n";
        string reply = await Exchange(client, request);
        Assert.StartsWith("HTTP/1.1 200 OK\r\n", reply, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task A_refused_client_still_sending_reads_its_refusal_instead_of_a_reset(PollerBackendKind backend)
    {
        await using TestServer server = StartHttp(backend);
        using Socket client = await server.ConnectSocketAsync();
        Task<byte[]> reply = client.ReceiveToEndAsync();
        await client.SendAsync(Encoding.ASCII.GetBytes("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4000000\r\n\r\n"));
        var chunk = new byte[64 * 1024];
        for (int sent = 0; sent < 4_000_000 && !reply.IsCompleted; sent += chunk.Length)
        {
            try
            {
                await client.SendAsync(chunk); // the body the server refused keeps coming
            }
            catch (SocketException)
            {
                break;
            }
        }

        // The server sent 413 and a FIN, and read and dropped the rest: no reset ate the answer.
        string text = Encoding.ASCII.GetString(await reply);
        Assert.StartsWith("HTTP/1.1 413 Content Too Large\r\n", text, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task Expect_100_continue_for_a_missing_path_gets_404_at_once_and_the_connection_serves_on(PollerBackendKind backend)
    {
        await using TestServer server = StartHttp(backend);
        using Socket client = await server.ConnectSocketAsync();
        // The client waits for 100 before its 1 MiB: the 404 comes instead, kept alive (nginx's answer).
        string reply = await Exchange(client, "POST /nowhere HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 1048576\r\n\r\n");
        Assert.StartsWith("HTTP/1.1 404 Not Found\r\n", reply, StringComparison.Ordinal);
        Assert.DoesNotContain("Connection: close", reply, StringComparison.Ordinal);

        // One that sends the body all the same: dropped, and its next request answered on the same connection.
        await client.SendAsync(new byte[1048576]);
        reply = await Exchange(client, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
        Assert.StartsWith("HTTP/1.1 200 OK\r\n", reply, StringComparison.Ordinal);
        Assert.EndsWith("Hello, World!", reply, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task Bodies_are_skipped_and_connection_close_is_honoured(PollerBackendKind backend)
    {
        await using TestServer server = StartHttp(backend);
        using Socket client = await server.ConnectSocketAsync();
        string reply = await Exchange(client, "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhelloGET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", untilClose: true);
        Assert.Equal(2, CountOf(reply, "Hello, World!"));
        Assert.Contains("Connection: close", reply, StringComparison.Ordinal);

        using Socket old = await server.ConnectSocketAsync();
        reply = await Exchange(old, "GET / HTTP/1.0\r\n\r\n", untilClose: true); // HTTP/1.0 closes by default
        Assert.Contains("Hello, World!", reply, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task The_engines_own_dialer_is_a_working_http_client(PollerBackendKind backend)
    {
        await using TestServer server = StartHttp(backend);
        await using Dialer dialer = BackendMatrix.Dialer(backend);
        Connection c = await dialer.ConnectAsync(server.EndPoint);
        c.Writer.WriteString("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
        await c.Writer.FlushAsync();
        await c.Reader.WaitForHttpResponse();
        string text = c.Reader.ReadString(c.Reader.Length);
        Assert.StartsWith("HTTP/1.1 200 OK", text, StringComparison.Ordinal);
        Assert.EndsWith("Hello, World!", text, StringComparison.Ordinal);
        c.Close();
    }

    private static int CountOf(string text, string word) => (text.Length - text.Replace(word, "", StringComparison.Ordinal).Length) / word.Length;
}

internal static class HttpReaderExtensions
{
    /// <summary>Waits until the buffered bytes end with the hello body; fails after 10 s instead of hanging.</summary>
    public static async Task WaitForHttpResponse(this ConnectionReader reader)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await reader.WaitAsync(1, deadline.Token);
        while (!System.Text.Encoding.ASCII.GetString(reader.Peek(reader.Length).Span).EndsWith("Hello, World!", StringComparison.Ordinal))
        {
            await reader.WaitAsync(reader.Length + 1, deadline.Token);
        }
    }
}
