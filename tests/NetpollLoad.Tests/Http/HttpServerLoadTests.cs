using System.Net;
using System.Runtime.CompilerServices;
using System.Text;
using Netpoll.Connections;
using Netpoll.Polling;
using Netpoll.Protocols;
using Netpoll.Tests.Support;

namespace Netpoll.Load.Tests.Http;

/// <summary>
/// The generator against the project's own Http server (weights, methods, bodies, status codes) and against
/// scripted servers that answer every request with fixed bytes: trailers, interim responses, bodies until close,
/// and garbage. Each on every backend the generator's client runs on (Auto picks io_uring for it where allowed).
/// </summary>
public class HttpServerLoadTests
{
    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task Weighted_requests_are_sent_in_proportion_and_their_status_codes_counted(PollerBackendKind backend)
    {
        await using var server = TestServer.Start(new HttpHandler());
        Uri origin = new($"http://127.0.0.1:{server.EndPoint.Port}");

        // One connection: the smooth weighted round robin is exact, 3 of / to each /missing.
        LoadResult result = await LoadGenerator.RunAsync(new LoadOptions
        {
            Backend = backend,
            Target = server.EndPoint,
            Pattern = LoadPattern.Http,
            HttpRequests = [new LoadHttpRequest { Uri = new Uri(origin, "/"), Weight = 3 }, new LoadHttpRequest { Uri = new Uri(origin, "/missing") }],
            Connections = 1,
            Requests = 400,
            Duration = TimeSpan.FromSeconds(60),
        });

        Assert.Equal(400, result.Requests);
        Assert.Equal(300, result.StatusCodes[200]);
        Assert.Equal(100, result.StatusCodes[404]);
        Assert.Equal(100, result.Status4xx);
        Assert.Equal(0, result.Errors);
    }

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task Round_robin_over_several_connections_gives_each_uri_an_exact_share_of_the_run(PollerBackendKind backend)
    {
        // Three routes told apart by their status. The connections send unequal numbers of requests; a wheel per
        // connection gave 100/99/101, the run's one wheel gives 100 each.
        await using var server = TestServer.Start(new HttpHandler(new HttpRouteTable(
            [HttpRoute.Static("GET /a", HttpResponse.WithStatus(200)), HttpRoute.Static("GET /b", HttpResponse.WithStatus(201)), HttpRoute.Static("GET /c", HttpResponse.WithStatus(202))])));
        Uri origin = new($"http://127.0.0.1:{server.EndPoint.Port}");

        for (int attempt = 0; attempt < 5; attempt++)
        {
            LoadResult result = await LoadGenerator.RunAsync(new LoadOptions
            {
                Backend = backend,
                Target = server.EndPoint,
                Pattern = LoadPattern.Http,
                HttpRequests = [.. new[] { "/a", "/b", "/c" }.Select(path => new LoadHttpRequest { Uri = new Uri(origin, path) })],
                Connections = 4,
                Requests = 300,
                Duration = TimeSpan.FromSeconds(60),
            });

            Assert.Equal(300, result.Requests);
            Assert.Equal([100L, 100L, 100L], [result.StatusCodes[200], result.StatusCodes[201], result.StatusCodes[202]]);
        }
    }

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task Methods_headers_and_bodies_go_on_the_wire_and_head_responses_have_no_body(PollerBackendKind backend)
    {
        await using var server = TestServer.Start(new HttpHandler());
        Uri root = new($"http://127.0.0.1:{server.EndPoint.Port}/");
        byte[] body = Encoding.UTF8.GetBytes("{\"name\":\"netpoll\"}");
        LoadResult result = await LoadGenerator.RunAsync(new LoadOptions
        {
            Backend = backend,
            Target = server.EndPoint,
            Pattern = LoadPattern.Http,
            HttpRequests =
            [
                new LoadHttpRequest { Method = "HEAD", Uri = root },
                new LoadHttpRequest { Method = "POST", Uri = root, Body = body, Headers = [new("Content-Type", "application/json"), new("X-Test", "1")] },
            ],
            Connections = 1,
            Pipeline = 4,
            Requests = 200,
            Duration = TimeSpan.FromSeconds(60),
        });

        Assert.Equal(0, result.Errors);
        Assert.Equal(100, result.StatusCodes[200]); // HEAD: a Content-Length, and no body to wait for
        Assert.Equal(100, result.StatusCodes[405]); // POST: the server reads the body and refuses the method
        IReadOnlyList<Diagnostics.PollerStats> stats = server.Loop.GetStats();
        Assert.Equal(result.BytesSent, stats.Sum(s => s.BytesIn));
        Assert.True(result.BytesSent > 100L * body.Length);
    }

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task Chunked_trailers_and_interim_responses_complete_each_request(PollerBackendKind backend)
    {
        const string response = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nX-Sum: 5\r\n\r\n";
        await using var server = TestServer.Start(Scripted(response));
        LoadResult result = await LoadGenerator.RunAsync(HttpOptions(backend, server, connections: 4, requests: 400));

        Assert.Equal(400, result.Requests);
        Assert.Equal(0, result.Errors);
        Assert.Equal(400, result.StatusCodes[200]);
        Assert.Equal(400, result.StatusCodes[100]);
        Assert.Equal(400, result.Status1xx);
        Assert.Equal(400L * response.Length, result.BytesReceived);
    }

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task A_body_read_until_the_server_closes_completes_at_the_close_and_the_connection_is_reopened(PollerBackendKind backend)
    {
        await using var server = TestServer.Start(async c =>
        {
            await Scripted("HTTP/1.1 200 OK\r\n\r\nthe body runs until the close")(c);
            c.Close();
        });
        LoadResult result = await LoadGenerator.RunAsync(HttpOptions(backend, server, connections: 2, requests: 50));

        Assert.Equal(50, result.Requests);
        Assert.Equal(0, result.Errors);
        Assert.True(result.ConnectionsReopened >= 48, $"{result.ConnectionsReopened} reopened");
    }

    /// <summary>(backend, what the server answers each request with, responses that complete before the bad bytes, what the bad bytes are said to be).</summary>
    public static TheoryData<PollerBackendKind, string, int, string> BadReplies
    {
        get
        {
            var rows = new TheoryData<PollerBackendKind, string, int, string>();
            foreach (PollerBackendKind backend in BackendMatrix.Kinds)
            {
                rows.Add(backend, "SSH-2.0-OpenSSH_9.2\r\nthis is not http\r\n\r\n", 0, "status line is not HTTP/1.x");

                // Bytes no request asked for are no response (RFC 9112 §9.3). After the one response they follow, the slot
                // backs off as if nothing completed; it reconnected at once, thousands of times a second, before.
                rows.Add(backend, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokXX", 1, "arrived with no request in flight: 'XX'");
            }

            return rows;
        }
    }

    [Theory]
    [MemberData(nameof(BadReplies))]
    public async Task A_server_that_sends_bad_bytes_is_a_bad_response_by_cause_with_the_back_off_not_a_hang(PollerBackendKind backend, string reply, int completedFirst, string detail)
    {
        await using var server = TestServer.Start(Scripted(reply));
        LoadResult result = await LoadGenerator.RunAsync(HttpOptions(backend, server, connections: 3, requests: 0) with { Duration = TimeSpan.FromSeconds(2) });

        Assert.Equal("Duration", result.StopReason);
        Assert.Equal(result.Errors, result.ErrorsByKind.BadResponse);
        Assert.Contains(detail, result.ErrorsByKind.BadResponseDetails[0], StringComparison.Ordinal);
        Assert.Equal(completedFirst * result.Errors, result.Requests); // each connection's responses before its bad bytes
        Assert.Equal((1 - completedFirst) * result.Errors, result.RequestsFailed); // garbage ends the request it answers, counted even as the run stops
        Assert.InRange(result.ConnectionsReopened, 3, 3 * ReconnectBound.PerSlot(result.Elapsed)); // replaced, after a back-off
        Assert.Equal(completedFirst == 0, result.LatencyP99 is null); // nothing measured is null, not zero
    }

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task A_server_that_closes_mid_body_every_time_is_closed_early_for_the_whole_duration_without_spinning(PollerBackendKind backend)
    {
        await using var server = TestServer.Start(async c =>
        {
            await Scripted("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly part")(c);
            c.Close();
        });
        LoadResult result = await LoadGenerator.RunAsync(HttpOptions(backend, server, connections: 3, requests: 0) with { Duration = TimeSpan.FromSeconds(2) });

        Assert.Equal("Duration", result.StopReason);
        Assert.True(result.Elapsed >= TimeSpan.FromSeconds(1.9), $"ran {result.Elapsed}");
        Assert.Equal(0, result.Requests);
        Assert.Equal(result.Errors, result.ErrorsByKind.ClosedEarly);
        Assert.Equal(result.Errors, result.RequestsFailed); // each error ended one request, counted together even as the run stops

        // Each cut-short connection is replaced after its slot's back-off (10 ms doubling to 1 s): a bounded count, not a spin.
        Assert.InRange(result.ConnectionsReopened, 3 * 3, 3 * ReconnectBound.PerSlot(result.Elapsed));
        Assert.InRange(result.Errors, result.ConnectionsReopened, result.ConnectionsReopened + 3);
    }

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task A_server_that_resets_every_third_response_is_loaded_for_the_whole_duration_with_its_resets_counted(PollerBackendKind backend)
    {
        var answered = new ConditionalWeakTable<Connection, StrongBox<int>>();
        await using var server = TestServer.Start(async c =>
        {
            StrongBox<int> count = answered.GetOrCreateValue(c);
            while (SkipRequestHead(c))
            {
                if (++count.Value % 3 == 0)
                {
                    c.Abort();
                    return;
                }

                c.Writer.WriteBinary("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"u8);
                await c.Writer.FlushAsync();
            }
        }, BackendMatrix.Server(backend));
        LoadOptions options = HttpOptions(backend, server, connections: 4, requests: 0) with
        {
            Duration = TimeSpan.FromSeconds(2),
            ProgressInterval = TimeSpan.FromMilliseconds(100),
        };
        LoadResult result = await LoadGenerator.RunAsync(options).WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal("Duration", result.StopReason);
        Assert.True(result.ErrorsByKind.Reset > 4, $"errors: {result.ErrorsByKind}");
        Assert.Equal(result.Errors, result.ErrorsByKind.Reset + result.ErrorsByKind.ClosedEarly);
        // Each reset met one request, after two answered: sent again on the next connection (first there, so answered), or,
        // as the run stops, failed.
        Assert.Equal(result.Errors, result.RequestsFailed + result.RequestsRetried);
        Assert.True(result.RequestsRetried >= result.Errors - 4, $"{result.RequestsRetried} retried, {result.RequestsFailed} failed");
        Assert.Equal(result.StatusCodes[200], result.Requests); // a response is counted whole or, in flight at the stop, not at all

        // Every connection answered twice before its reset, and was replaced at once: the four stayed busy to the end.
        Assert.True(result.Requests >= 2 * result.ConnectionsReopened, $"{result.Requests} requests, {result.ConnectionsReopened} reopened");
        LoadProgress[] secondHalf = [.. result.Timeline.Where(p => p.Elapsed >= TimeSpan.FromSeconds(1))];
        Assert.NotEmpty(secondHalf);
        Assert.True(result.Requests > secondHalf[0].Requests, $"requests at {secondHalf[0].Elapsed}: {secondHalf[0].Requests}, at the end: {result.Requests}");
    }

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task A_server_that_answers_before_the_body_is_sent_and_resets_is_counted_by_its_answer(PollerBackendKind backend)
    {
        // As a server that refuses a large upload does: it answers 413 on the first bytes and closes with the body
        // unread, so its kernel resets the connection. The answer came first and the client must count it; it was
        // lost (a Reset) while the generator waited for the request to drain before reading.
        const string refusal = "HTTP/1.1 413 Content Too Large\r\nConnection: close\r\nContent-Length: 0\r\n\r\n";
        await using var server = TestServer.Start(async c =>
        {
            c.Writer.WriteBinary(Encoding.ASCII.GetBytes(refusal));
            await c.Writer.FlushAsync();
            c.Abort();
        }, BackendMatrix.Server(backend));
        Uri uri = new($"http://127.0.0.1:{server.EndPoint.Port}/upload");
        LoadOptions options = HttpOptions(backend, server, connections: 2, requests: 10) with
        {
            HttpRequests = [new LoadHttpRequest { Method = "POST", Uri = uri, Body = new byte[8 << 20] }], // more than the socket buffers hold
        };
        LoadResult result = await LoadGenerator.RunAsync(options).WaitAsync(TimeSpan.FromSeconds(60));

        Assert.True(result.Errors == 0, $"errors: {result.ErrorsByKind}");
        Assert.Equal(10, result.Requests);
        Assert.Equal(10, result.StatusCodes[413]);
    }

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task A_server_that_closes_after_every_response_is_loaded_for_the_whole_duration(PollerBackendKind backend)
    {
        // One connection, reopened after each response: between the close and the reopen's connect the run saw no
        // connection open or opening, and a progress tick that fell there stopped it as NoConnections.
        await using var server = TestServer.Start(Scripted("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok"), BackendMatrix.Server(backend));
        LoadOptions options = HttpOptions(backend, server, connections: 1, requests: 0) with
        {
            Duration = TimeSpan.FromSeconds(2),
            ProgressInterval = TimeSpan.FromMilliseconds(1), // a check for NoConnections every tick
        };
        LoadResult result = await LoadGenerator.RunAsync(options).WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal("Duration", result.StopReason);
        Assert.True(result.Errors == 0, $"errors: {result.ErrorsByKind}");
        Assert.True(result.ConnectionsReopened > 10, $"{result.ConnectionsReopened} reopened");
    }

    private static LoadOptions HttpOptions(PollerBackendKind backend, TestServer server, int connections, long requests) => new()
    {
        Backend = backend,
        Target = server.EndPoint,
        Pattern = LoadPattern.Http,
        Connections = connections,
        Requests = requests,
        Duration = TimeSpan.FromSeconds(60),
    };

    /// <summary>Skips one complete request head (up to its blank line) buffered on <paramref name="c"/>; false when none is.</summary>
    internal static bool SkipRequestHead(Connection c)
    {
        if (c.Reader.Length == 0)
        {
            return false;
        }

        string buffered = Encoding.ASCII.GetString(c.Reader.Peek(c.Reader.Length).Span);
        int end = buffered.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        if (end < 0)
        {
            return false;
        }

        c.Reader.Skip(end + 4);
        return true;
    }

    /// <summary>A server that answers each complete request head (up to its blank line) with <paramref name="response"/>.</summary>
    private static Func<Connection, ValueTask> Scripted(string response)
    {
        byte[] bytes = Encoding.ASCII.GetBytes(response);
        return async c =>
        {
            int answered = 0;
            while (SkipRequestHead(c))
            {
                c.Writer.WriteBinary(bytes);
                answered++;
            }

            if (answered > 0)
            {
                await c.Writer.FlushAsync();
            }
        };
    }
}
