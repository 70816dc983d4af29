using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Netpoll.Connections;
using Netpoll.Polling;
using Netpoll.Protocols;
using Netpoll.Server;
using Netpoll.Tests.Support;

namespace Netpoll.Tests.Protocols;

/// <summary>HTTP mocks over real sockets: what static and dynamic routes send, and how the server behaves around them.</summary>
public class HttpMockTests
{
    private static TestServer Start(PollerBackendKind backend, HttpRouteTable routes, HttpServerOptions? options = null, int pollers = 0, HttpHandler? handler = null)
    {
        var loopOptions = new EventLoopOptions { Backend = backend, Connection = new ConnectionOptions { Dispatch = DispatchMode.Auto } };
        if (pollers > 0)
        {
            loopOptions = loopOptions with { Pollers = pollers };
        }

        return TestServer.Start(handler ?? new HttpHandler(routes, options), loopOptions);
    }

    private static HttpClient Client(TestServer server) => new() { BaseAddress = new Uri($"http://{server.EndPoint}/"), Timeout = TimeSpan.FromSeconds(10) };

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task A_static_route_sends_its_status_headers_and_body(PollerBackendKind backend)
    {
        string file = Path.GetTempFileName();
        await File.WriteAllTextAsync(file, "{\"from\":\"file\"}");
        try
        {
            await using TestServer server = Start(backend, new HttpRouteTable(
            [
                HttpRoute.Static("GET /teapot", new HttpResponse { Status = 418, Reason = "I'm a teapot", Body = HttpBody.FromString("short and stout"), Headers = [new("X-Mock", "yes"), new("Cache-Control", "no-store")] }),
                HttpRoute.Static("GET /file", new HttpResponse { Body = HttpBody.FromFile(file), ContentType = "application/json" }),
                HttpRoute.Static("GET /filler", new HttpResponse { Body = HttpBody.Filler(3 * 1024 * 1024 + 7, (byte)'z') }),
                HttpRoute.Static("PUT /empty", HttpResponse.WithStatus(204)),
            ]));
            using HttpClient http = Client(server);

            using HttpResponseMessage teapot = await http.GetAsync("teapot");
            Assert.Equal(418, (int)teapot.StatusCode);
            Assert.Equal("I'm a teapot", teapot.ReasonPhrase);
            Assert.Equal("yes", teapot.Headers.GetValues("X-Mock").Single());
            Assert.Equal("short and stout", await teapot.Content.ReadAsStringAsync());
            Assert.Equal("text/plain", teapot.Content.Headers.ContentType!.MediaType);

            using HttpResponseMessage json = await http.GetAsync("file");
            Assert.Equal("{\"from\":\"file\"}", await json.Content.ReadAsStringAsync());
            Assert.Equal("application/json", json.Content.Headers.ContentType!.MediaType);

            byte[] filler = await http.GetByteArrayAsync("filler");
            Assert.Equal(3 * 1024 * 1024 + 7, filler.Length);
            Assert.True(filler.All(b => b == 'z'));

            using HttpResponseMessage empty = await http.PutAsync("empty", new StringContent("ignored"));
            Assert.Equal(HttpStatusCode.NoContent, empty.StatusCode);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task A_chunked_route_sends_chunks_to_http11_and_a_length_to_http10(PollerBackendKind backend)
    {
        await using TestServer server = Start(backend, new HttpRouteTable(
            [HttpRoute.Static("GET /stream", new HttpResponse { Body = HttpBody.Filler(100_000), Chunked = true, ChunkSize = 4096 })]));
        using HttpClient http = Client(server);
        using HttpResponseMessage response = await http.GetAsync("stream");
        Assert.True(response.Headers.TransferEncodingChunked);
        Assert.Equal(100_000, (await response.Content.ReadAsByteArrayAsync()).Length);

        using Socket old = await server.ConnectSocketAsync();
        await old.SendAsync(Encoding.ASCII.GetBytes("GET /stream HTTP/1.0\r\n\r\n"));
        HttpResponseReader.Response reply = Assert.Single(HttpResponseReader.ReadAll(await old.ReceiveToEndAsync()));
        Assert.Equal("100000", reply.Header("Content-Length"));
        Assert.Null(reply.Header("Transfer-Encoding"));
        Assert.Equal(100_000, reply.Body.Length);
    }

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task Close_after_closes_the_connection_once_the_response_is_sent(PollerBackendKind backend)
    {
        await using TestServer server = Start(backend, new HttpRouteTable([HttpRoute.Static("GET /bye", new HttpResponse { Body = HttpBody.FromString("bye"), CloseAfter = true })]));
        using Socket client = await server.ConnectSocketAsync();
        await client.SendAsync(Encoding.ASCII.GetBytes("GET /bye HTTP/1.1\r\nHost: x\r\n\r\n"));
        HttpResponseReader.Response reply = Assert.Single(HttpResponseReader.ReadAll(await client.ReceiveToEndAsync()));
        Assert.True(reply.Closes);
        Assert.Equal("bye", reply.BodyText);
    }

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task A_delayed_route_answers_after_its_delay_and_pipelined_requests_keep_their_order(PollerBackendKind backend)
    {
        await using TestServer server = Start(backend, new HttpRouteTable(
        [
            HttpRoute.Static("GET /slow", new HttpResponse { Body = HttpBody.FromString("slow"), Delay = TimeSpan.FromMilliseconds(300), Jitter = TimeSpan.FromMilliseconds(50) }),
            HttpRoute.Static("GET /fast", HttpResponse.Text("fast")),
        ]));
        using Socket client = await server.ConnectSocketAsync();
        var clock = Stopwatch.StartNew();
        await client.SendAsync(Encoding.ASCII.GetBytes("GET /slow HTTP/1.1\r\nHost: x\r\n\r\nGET /fast HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
        List<HttpResponseReader.Response> replies = HttpResponseReader.ReadAll(await client.ReceiveToEndAsync());
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(240), $"answered after {clock.ElapsedMilliseconds} ms; the delay is 300 ± 50 ms");
        Assert.Equal(["slow", "fast"], replies.Select(r => r.BodyText));
    }

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task A_dynamic_route_sees_the_whole_request_and_may_answer_later_from_another_thread(PollerBackendKind backend)
    {
        HttpRequest? seen = null;
        await using TestServer server = Start(backend, new HttpRouteTable(
        [
            HttpRoute.Dynamic("POST /orders/{id}/items", async request =>
            {
                seen = request;
                await Task.Delay(50); // completes on a timer thread, not the poller
                return HttpResponse.Json($"{{\"id\":\"{request.RouteValues["id"]}\",\"bytes\":{request.Body.Length}}}", status: 201);
            }),
        ]));
        using HttpClient http = Client(server);
        using var content = new StringContent("{\"sku\":\"a b\"}", Encoding.UTF8, "application/json");
        using var message = new HttpRequestMessage(HttpMethod.Post, "orders/o%2F7/items?x=1&x=2&q=a+b&flag") { Content = content };
        message.Headers.Add("X-Trace", ["t1", "t2"]);
        using HttpResponseMessage response = await http.SendAsync(message);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal("{\"id\":\"o%2F7\",\"bytes\":13}", await response.Content.ReadAsStringAsync());
        Assert.NotNull(seen);
        Assert.Equal("POST", seen.Method);
        Assert.Equal("/orders/o%2F7/items", seen.Path);
        Assert.Equal("x=1&x=2&q=a+b&flag", seen.QueryString);
        Assert.Equal("1,2", seen.Query["x"]);
        Assert.Equal("a b", seen.Query["q"]);
        Assert.Equal("", seen.Query["flag"]);
        Assert.Equal("t1, t2", seen.Headers["x-trace"]);
        Assert.Equal("{\"sku\":\"a b\"}", seen.BodyText);
        Assert.Equal(HttpVersion.Version11, seen.Version);
        Assert.IsType<IPEndPoint>(seen.RemoteEndPoint);
    }

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task A_chunked_request_body_and_its_trailers_reach_the_callback(PollerBackendKind backend)
    {
        HttpRequest? seen = null;
        await using TestServer server = Start(backend, new HttpRouteTable(
            [HttpRoute.Dynamic("PUT /upload", request => { seen = request; return new ValueTask<HttpResponse>(HttpResponse.Text(request.Body.Length.ToString(System.Globalization.CultureInfo.InvariantCulture))); })]));
        using Socket client = await server.ConnectSocketAsync();
        await client.SendAsync(Encoding.ASCII.GetBytes(
            "PUT /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n" +
            "5;name=\"a;b\"\r\nhello\r\n6\r\n world\r\n0\r\nX-Checksum: 42\r\nX-Other: y\r\nx-other: z\r\n\r\n"));
        HttpResponseReader.Response reply = Assert.Single(HttpResponseReader.ReadAll(await client.ReceiveToEndAsync()));
        Assert.Equal("11", reply.BodyText);
        Assert.Equal("hello world", seen!.BodyText);
        // Trailers have the shape of headers: by name in any case, a repeated field's values joined with ", ".
        Assert.Equal(seen.Headers.GetType(), seen.Trailers.GetType());
        Assert.Equal(2, seen.Trailers.Count);
        Assert.Equal("42", seen.Trailers["x-checksum"]);
        Assert.Equal("y, z", seen.Trailers["X-OTHER"]);
        Assert.Equal("chunked", seen.Headers["transfer-encoding"]);
    }

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task HttpClient_sends_expect_100_continue_and_gets_its_body_through(PollerBackendKind backend)
    {
        await using TestServer server = Start(backend, HttpTestRoutes.Create());
        using HttpClient http = Client(server);
        http.DefaultRequestHeaders.ExpectContinue = true;
        using HttpResponseMessage response = await http.PostAsync("echo", new ByteArrayContent(new byte[3000]));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(3000, (await response.Content.ReadAsByteArrayAsync()).Length);
    }

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task A_callback_that_blocks_does_not_stop_the_poller_from_serving_others(PollerBackendKind backend)
    {
        using var release = new ManualResetEventSlim();
        await using TestServer server = Start(backend, new HttpRouteTable(
        [
            HttpRoute.Dynamic("GET /blocking", _ =>
            {
                release.Wait(TimeSpan.FromSeconds(10)); // a badly written callback: it blocks its thread
                return new ValueTask<HttpResponse>(HttpResponse.Text("finally"));
            }),
            HttpRoute.Static("GET /", HttpResponse.Text("free")),
        ]), pollers: 1);
        using HttpClient http = Client(server);
        Task<string> blocked = http.GetStringAsync("blocking");

        // With one poller, this answer can only come if the poller is not the thread that blocks.
        using HttpClient other = Client(server);
        Assert.Equal("free", await other.GetStringAsync(""));
        Assert.False(blocked.IsCompleted);
        release.Set();
        Assert.Equal("finally", await blocked);
    }

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task A_callback_that_throws_gets_its_client_a_500_and_the_server_serves_on(PollerBackendKind backend)
    {
        int calls = 0;
        var failures = new List<HttpRouteFailedEventArgs>();
        var handler = new HttpHandler(new HttpRouteTable(
        [
            HttpRoute.Dynamic("GET /sync-throw", _ => throw new InvalidOperationException("sync boom")),
            HttpRoute.Dynamic("GET /async-throw", async _ =>
            {
                await Task.Yield();
                throw new TimeoutException("async boom");
            }),
            HttpRoute.Dynamic("GET /null", _ => new ValueTask<HttpResponse>((HttpResponse)null!)),
            HttpRoute.Dynamic("GET /bad-header", _ => new ValueTask<HttpResponse>(new HttpResponse { Headers = [new("Content-Length", "1")] })),
            HttpRoute.Dynamic("GET /ok", _ => new ValueTask<HttpResponse>(HttpResponse.Text($"call {Interlocked.Increment(ref calls)}"))),
        ]));
        handler.RouteFailed += (_, e) =>
        {
            lock (failures)
            {
                failures.Add(e);
            }
        };
        handler.RouteFailed += (_, _) => throw new InvalidOperationException("a broken listener is ignored");
        using var events = new EngineEvents("RequestFailed");
        await using TestServer server = Start(backend, handler.Routes, handler: handler);
        using HttpClient http = Client(server);
        foreach (string path in new[] { "sync-throw", "async-throw", "null", "bad-header" })
        {
            using HttpResponseMessage failed = await http.GetAsync(path);
            Assert.Equal(HttpStatusCode.InternalServerError, failed.StatusCode);
            Assert.StartsWith("call ", await http.GetStringAsync("ok"), StringComparison.Ordinal); // the same connection goes on
        }

        Assert.Equal(1, server.Loop.GetStats().Sum(s => s.Accepted)); // one kept-alive connection throughout
        Assert.Equal(["sync boom", "async boom", "returned no response", "is set by the server"], failures.Select(f => Describe(f.Error)));
        Assert.Equal(4, handler.GetStatistics().RouteFailures);
        await TestServer.Eventually(() => events.Count >= 4, "four RequestFailed engine events");
        Assert.Contains(events.Messages, m => m.Contains("GET /sync-throw", StringComparison.Ordinal) && m.Contains("sync boom", StringComparison.Ordinal));
        Assert.All(handler.Routes.Routes.Where(r => r.Path != "/ok"), r => Assert.Equal((1, 1), (r.Hits, r.Failures)));

        static string Describe(Exception e) => e.Message.Contains("returned no response", StringComparison.Ordinal) ? "returned no response"
            : e.Message.Contains("is set by the server", StringComparison.Ordinal) ? "is set by the server" : e.Message;
    }

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task A_mock_answers_503_twice_then_200_and_counts_its_hits(PollerBackendKind backend)
    {
        int calls = 0;
        var routes = new HttpRouteTable(
        [
            HttpRoute.Dynamic("GET /flaky", _ => new ValueTask<HttpResponse>(Interlocked.Increment(ref calls) <= 2
                ? new HttpResponse { Status = 503, Headers = [new("Retry-After", "0")] }
                : HttpResponse.Text("recovered"))),
        ]);
        await using TestServer server = Start(backend, routes);
        using HttpClient http = Client(server);
        var statuses = new List<int>();
        for (int attempt = 0; attempt < 3; attempt++)
        {
            using HttpResponseMessage response = await http.GetAsync("flaky");
            statuses.Add((int)response.StatusCode);
        }

        Assert.Equal([503, 503, 200], statuses);
        HttpRoute route = routes.Routes.Single();
        Assert.Equal(3, route.Hits);
        Assert.True(route.MaxLatency >= route.MeanLatency);
    }

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task A_callback_whose_client_resets_sees_it_aborted_and_giving_up_is_no_route_failure(PollerBackendKind backend)
    {
        var started = new TaskCompletionSource<HttpRequest>(TaskCreationOptions.RunContinuationsAsynchronously);
        var gaveUp = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var routes = new HttpRouteTable(
        [
            HttpRoute.Dynamic("GET /wait", async request =>
            {
                started.TrySetResult(request);
                for (int i = 0; i < 200 && !request.IsAborted; i++)
                {
                    await Task.Delay(25); // bounded: 5 s
                }

                gaveUp.TrySetResult();
                return request.IsAborted ? throw new OperationCanceledException("the client is gone") : HttpResponse.Text("nobody left?");
            }),
            HttpRoute.Static("GET /", HttpResponse.Text("ok")),
        ]);
        var handler = new HttpHandler(routes);
        int failures = 0;
        handler.RouteFailed += (_, _) => Interlocked.Increment(ref failures);
        await using TestServer server = Start(backend, routes, handler: handler);

        using (Socket client = await server.ConnectSocketAsync())
        {
            await client.SendAsync(Encoding.ASCII.GetBytes("GET /wait HTTP/1.1\r\nHost: x\r\n\r\n"));
            HttpRequest request = await started.Task.WaitAsync(TimeSpan.FromSeconds(10));
            Assert.False(request.IsAborted); // the client is still there
            client.LingerState = new LingerOption(true, 0);
            client.Close(); // a reset
            await TestServer.Eventually(() => request.IsAborted, "the waiting callback saw its client's reset", timeoutMs: 5_000);
        }

        await TestServer.Eventually(() => server.Loop.GetStats().Sum(s => s.Connections) == 0, "the reset connection closed");
        await gaveUp.Task.WaitAsync(TimeSpan.FromSeconds(10));
        await Task.Delay(300); // what the handler makes of the callback's end runs just after it: a failure would be counted by now
        Assert.Equal(0, failures);
        Assert.Equal(0, handler.GetStatistics().RouteFailures);
        Assert.Equal(0, routes.Routes.First().Failures);

        using HttpClient http = Client(server);
        Assert.Equal("ok", await http.GetStringAsync("/"));
    }

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task Routes_added_replaced_and_removed_on_a_live_server_take_effect_at_once(PollerBackendKind backend)
    {
        var routes = new HttpRouteTable([HttpRoute.Static("GET /v", HttpResponse.Text("one"))]);
        await using TestServer server = Start(backend, routes);
        using HttpClient http = Client(server);
        Assert.Equal("one", await http.GetStringAsync("v"));
        routes.Set(HttpRoute.Static("GET /v", HttpResponse.Text("two")));
        Assert.Equal("two", await http.GetStringAsync("v")); // same kept-alive connection
        routes.Remove("GET /v");
        using HttpResponseMessage gone = await http.GetAsync("v");
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
    }

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task A_static_route_allocates_nothing_per_request(PollerBackendKind backend)
    {
        var meter = new AllocationMeter(new HttpHandler(new HttpRouteTable(
            [HttpRoute.Static("GET /plaintext", new HttpResponse { Body = HttpBody.FromString("Hello, World!"), Headers = [new("X-Mock", "1")] })])));
        await using TestServer server = TestServer.Start(meter, new EventLoopOptions { Backend = backend, Pollers = 1, Connection = new ConnectionOptions { Dispatch = DispatchMode.Inline } });
        using Socket client = await server.ConnectSocketAsync();
        byte[] request = Encoding.ASCII.GetBytes("GET /plaintext HTTP/1.1\r\nHost: x\r\n\r\n");
        byte[] ten = [.. Enumerable.Repeat(request, 10).SelectMany(r => r)];
        await client.SendAsync(request);
        int responseLength = await ResponseLength(client);

        // Warm up (JIT, pools, the Date cache), then measure single and pipelined requests.
        for (int i = 0; i < 300; i++)
        {
            await RoundTrip(client, i % 2 == 0 ? request : ten, i % 2 == 0 ? responseLength : 10 * responseLength);
        }

        meter.Start();
        for (int i = 0; i < 1000; i++)
        {
            await RoundTrip(client, i % 2 == 0 ? request : ten, i % 2 == 0 ? responseLength : 10 * responseLength);
        }

        (long bytes, long calls) = meter.Stop();
        Assert.True(calls >= 1000, $"only {calls} handler calls were measured");
        Assert.True(bytes == 0, $"{bytes} bytes allocated in {calls} handler calls for {500 + 5000} requests");
    }

    /// <summary>Reads one response with a Content-Length and returns its size in bytes.</summary>
    private static async Task<int> ResponseLength(Socket client)
    {
        var head = new List<byte>();
        while (!head.AsEnumerable().Reverse().Take(4).SequenceEqual("\n\r\n\r"u8.ToArray()))
        {
            Assert.True(head.Count < 64 * 1024, "no response head ended in the first 64 KiB"); // bounded in count; each read in time
            head.AddRange(await client.ReceiveExactlyAsync(1));
        }

        string text = Encoding.ASCII.GetString([.. head]);
        int length = int.Parse(text.Split("\r\n").Single(l => l.StartsWith("Content-Length:", StringComparison.Ordinal))[15..], System.Globalization.CultureInfo.InvariantCulture);
        await client.ReceiveExactlyAsync(length);
        return head.Count + length;
    }

    private static async Task<byte[]> RoundTrip(Socket client, byte[] request, int expectBytes)
    {
        await client.SendAsync(request);
        return await client.ReceiveExactlyAsync(expectBytes);
    }

    /// <summary>Collects one engine event by name from the Netpoll-Engine EventSource.</summary>
    private sealed class EngineEvents : System.Diagnostics.Tracing.EventListener
    {
        private readonly string _name;
        private readonly List<string> _messages = [];

        public EngineEvents(string name)
        {
            _name = name;
            foreach (System.Diagnostics.Tracing.EventSource source in System.Diagnostics.Tracing.EventSource.GetSources())
            {
                OnEventSourceCreated(source);
            }
        }

        public int Count
        {
            get
            {
                lock (_messages)
                {
                    return _messages.Count;
                }
            }
        }

        public IReadOnlyList<string> Messages
        {
            get
            {
                lock (_messages)
                {
                    return [.. _messages];
                }
            }
        }

        protected override void OnEventSourceCreated(System.Diagnostics.Tracing.EventSource eventSource)
        {
            if (eventSource.Name == Netpoll.Diagnostics.NetpollDiagnostics.EventSourceName)
            {
                EnableEvents(eventSource, System.Diagnostics.Tracing.EventLevel.Error);
            }
        }

        protected override void OnEventWritten(System.Diagnostics.Tracing.EventWrittenEventArgs eventData)
        {
            if (eventData.EventName == _name && _name is not null)
            {
                lock (_messages)
                {
                    _messages.Add(string.Join(" | ", eventData.Payload ?? []));
                }
            }
        }
    }

    /// <summary>Counts what the inner handler allocates on the thread that calls it (the poller, inline).</summary>
    private sealed class AllocationMeter(ConnectionHandler inner) : ConnectionHandler
    {
        private long _bytes;
        private long _calls;
        private volatile bool _measuring;

        public override bool NeverBlocks => inner.NeverBlocks;

        public void Start() => _measuring = true;

        public (long Bytes, long Calls) Stop()
        {
            _measuring = false;
            return (Interlocked.Read(ref _bytes), Interlocked.Read(ref _calls));
        }

        public override ValueTask OnConnectAsync(Connection connection) => inner.OnConnectAsync(connection);

        public override ValueTask OnRequestAsync(Connection connection)
        {
            bool measuring = _measuring;
            long before = GC.GetAllocatedBytesForCurrentThread();
            ValueTask pending = inner.OnRequestAsync(connection);
            if (measuring)
            {
                Interlocked.Add(ref _bytes, GC.GetAllocatedBytesForCurrentThread() - before);
                Interlocked.Increment(ref _calls);
            }

            return pending;
        }
    }
}
