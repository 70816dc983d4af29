using System.Net.Sockets;
using System.Text;
using Netpoll.Polling;
using Netpoll.Protocols;
using Netpoll.Tests.Support;
using Netpoll.Tests.Tls;

namespace Netpoll.Tests.Protocols;

/// <summary>
/// The Http server against a real client (curl) and against clients that misbehave at the socket: one that never
/// reads what it asked for, and ones that reset in the middle of a request or a response. Each time the server's
/// memory stays bounded and the next client is served.
/// </summary>
public class HttpRealClientTests
{
    private static readonly HttpRouteTable Routes = new(
    [
        HttpRoute.Static("GET /", HttpResponse.Text("Hello, World!")),
        HttpRoute.Static("GET /big", new HttpResponse { Body = HttpBody.Filler(1 << 20) }),
        HttpRoute.Dynamic("POST /echo", r => new ValueTask<HttpResponse>(new HttpResponse { Body = HttpBody.FromBytes(r.Body.ToArray()) }), runsInline: true),
    ]);

    [ToolFact("curl", "curl")]
    public async Task Curl_gets_http10_keep_alive_expect_continue_chunked_uploads_and_head_answered_by_the_rfcs()
    {
        await using var server = TestServer.Start(new HttpHandler(Routes));
        string root = $"http://127.0.0.1:{server.EndPoint.Port}";
        string upload = Path.GetTempFileName();
        try
        {
            string body = string.Concat(Enumerable.Repeat("netpoll ", 4096)); // 32 KiB: curl sends Expect: 100-continue for it
            await File.WriteAllTextAsync(upload, body);

            // HTTP/1.0: answered as 1.0 asks (a length, then the close).
            (int code, string output, string error) = await Curl("-0", "-v", root + "/");
            Assert.True(code == 0, error);
            Assert.Equal("Hello, World!", output);
            Assert.Contains("< Connection: close", error, StringComparison.Ordinal);

            // Keep-alive: the second request reuses the first one's connection.
            (code, output, error) = await Curl("-v", root + "/", root + "/");
            Assert.True(code == 0, error);
            Assert.Equal("Hello, World!Hello, World!", output);
            Assert.Contains("Re-using existing connection", error, StringComparison.Ordinal);

            // Expect: 100-continue with a body, as Content-Length and as chunks: the interim answer, then the echo.
            foreach (string[] framing in new[] { Array.Empty<string>(), ["-H", "Transfer-Encoding: chunked"] })
            {
                (code, output, error) = await Curl([.. framing, "-v", "-H", "Expect: 100-continue", "--data-binary", "@" + upload, root + "/echo"]);
                Assert.True(code == 0, error);
                Assert.Contains("< HTTP/1.1 100 Continue", error, StringComparison.Ordinal);
                Assert.Equal(body, output);
            }

            // HEAD: the GET's headers and no body (curl waits for one if a length is sent without it being HEAD-aware).
            (code, output, error) = await Curl("-I", "--max-time", "10", root + "/big");
            Assert.True(code == 0, error);
            Assert.Contains("Content-Length: 1048576", output, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(upload);
        }
    }

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task A_client_that_never_reads_its_responses_holds_bounded_server_memory_and_others_are_served(PollerBackendKind backend)
    {
        await using var server = TestServer.Start(new HttpHandler(Routes), BackendMatrix.Server(backend));
        using Socket greedy = await server.ConnectSocketAsync();
        greedy.ReceiveBufferSize = 4096;
        byte[] requests = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("GET /big HTTP/1.1\r\nHost: x\r\n\r\n", 64)));

        // It asks for 1 MiB answers until the kernel will take no more of its requests (bounded in count and time).
        greedy.Blocking = false;
        long asked = 0;
        var until = DateTime.UtcNow.AddSeconds(3);
        while (DateTime.UtcNow < until && asked < 4_000)
        {
            try
            {
                asked += greedy.Send(requests) / 30;
            }
            catch (SocketException ex) when (ex.SocketErrorCode == SocketError.WouldBlock)
            {
                await Task.Delay(20);
            }
        }

        Assert.True(asked > 100, $"only {asked} requests went out"); // far more than the server may buffer answers for
        long buffered = server.Loop.GetStats().Sum(s => s.BufferBytes);
        Assert.True(buffered < 8 << 20, $"the server buffers {buffered} bytes for a client that asked for {asked} MiB and read none");

        using Socket polite = await server.ConnectSocketAsync();
        await polite.SendAsync(Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
        Assert.EndsWith("Hello, World!", Encoding.ASCII.GetString(await polite.ReceiveToEndAsync()), StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task Clients_that_reset_mid_request_mid_body_mid_callback_and_mid_response_leave_the_server_serving(PollerBackendKind backend)
    {
        await using var server = TestServer.Start(new HttpHandler(Routes), BackendMatrix.Server(backend));
        string[] partials =
        [
            "GET / HTTP/1.1\r\nHo",                                                               // mid-head
            "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n" + new string('a', 5000), // mid-body
            "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello",                      // while its callback answers
            "GET /big HTTP/1.1\r\nHost: x\r\n\r\n",                                               // mid-response
        ];
        for (int round = 0; round < 5; round++)
        {
            foreach (string partial in partials)
            {
                using Socket client = await server.ConnectSocketAsync();
                await client.SendAsync(Encoding.ASCII.GetBytes(partial));
                if (partial.StartsWith("GET /big", StringComparison.Ordinal))
                {
                    await client.ReceiveAsync(new byte[1024]); // the answer has begun
                }

                client.LingerState = new LingerOption(true, 0); // close() sends a reset
                client.Close();
            }
        }

        using Socket next = await server.ConnectSocketAsync();
        await next.SendAsync(Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
        Assert.EndsWith("Hello, World!", Encoding.ASCII.GetString(await next.ReceiveToEndAsync()), StringComparison.Ordinal);

        // Every reset connection was closed and gave its buffers back (bounded wait: the closes run on the pollers).
        for (int i = 0; i < 100 && server.Loop.GetStats().Sum(s => s.Connections) > 0; i++)
        {
            await Task.Delay(50);
        }

        Assert.Equal(0, server.Loop.GetStats().Sum(s => s.Connections));
        Assert.Equal(0, server.Loop.GetStats().Sum(s => s.BufferBytes));
        await TestServer.Eventually(() => server.Loop.GetStats().Sum(s => s.ReceiveRingBytes) == 0, "every receive-ring buffer went back (io_uring)");
    }

    private static Task<(int ExitCode, string Output, string Error)> Curl(params string[] arguments) =>
        ExternalTool.RunAsync("curl", ["-s", "--max-time", "20", .. arguments], timeout: TimeSpan.FromSeconds(30));
}
