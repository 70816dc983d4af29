using System.Net.Sockets;
using System.Text;
using Netpoll.Connections;
using Netpoll.Polling;
using Netpoll.Protocols;
using Netpoll.Server;
using Netpoll.Tests.Support;

namespace Netpoll.Tests.Protocols;

/// <summary>
/// Slow clients (slowloris and slow bodies) against short limits: a head that drips, a connection that
/// says nothing, a body under the minimum rate — each is answered 408 (when a request was under way)
/// and closed at its deadline, counted; clients within the limits are served, however long they idle between requests.
/// </summary>
public class HttpSlowClientTests
{
    private static readonly TimeSpan HeadTimeout = TimeSpan.FromMilliseconds(400);

    public static TheoryData<PollerBackendKind, DispatchMode> Dispatches => BackendMatrix.Cross(DispatchMode.Auto, DispatchMode.ThreadPool);

    private static (TestServer Server, HttpHandler Handler) Start(PollerBackendKind backend, HttpServerOptions options, DispatchMode dispatch = DispatchMode.Auto)
    {
        var handler = new HttpHandler(HttpTestRoutes.Create(), options);
        return (TestServer.Start(handler, new EventLoopOptions { Backend = backend, Connection = new ConnectionOptions { Dispatch = dispatch } }), handler);
    }

    [Theory]
    [MemberData(nameof(Dispatches))]
    public async Task A_client_dripping_its_head_gets_408_and_is_closed_at_the_head_deadline(PollerBackendKind backend, DispatchMode dispatch)
    {
        (TestServer server, HttpHandler handler) = Start(backend, new HttpServerOptions { RequestHeadTimeout = HeadTimeout }, dispatch);
        await using (server)
        {
            using Socket client = await server.ConnectSocketAsync();
            Task<byte[]> reply = client.ReceiveToEndAsync(timeoutMs: 30_000);
            byte[] head = Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\nHost: x\r\nX-Drip: " + new string('d', 200));
            // One byte every 50 ms: without a head deadline this would hold the connection for 10 s and more.
            int sent = await DripUntilAnswered(client, reply, head, bytesPerStep: 1, everyMs: 50);

            string text = Encoding.ASCII.GetString(await reply);
            Assert.StartsWith("HTTP/1.1 408 Request Timeout\r\n", text, StringComparison.Ordinal);
            Assert.Contains("Connection: close", text, StringComparison.Ordinal);
            // Not a time bound (a loaded machine stretches the drip too): the head was still incomplete, so the deadline answered.
            Assert.True(sent < head.Length, $"the whole {head.Length}-byte head went out before the answer, so the deadline did not end it");
            Assert.Equal(1, handler.GetStatistics().HeadTimeouts);
        }
    }

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task A_connection_that_sends_nothing_is_closed_silently_at_the_head_deadline(PollerBackendKind backend)
    {
        (TestServer server, HttpHandler handler) = Start(backend, new HttpServerOptions { RequestHeadTimeout = HeadTimeout });
        await using (server)
        {
            using Socket client = await server.ConnectSocketAsync();
            Assert.Empty(await client.ReceiveToEndAsync(timeoutMs: 10_000)); // EOF, no 408: there was no request
            Assert.Equal(1, handler.GetStatistics().HeadTimeouts);
        }
    }

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task A_kept_alive_client_idle_between_requests_longer_than_the_head_deadline_is_still_served(PollerBackendKind backend)
    {
        (TestServer server, HttpHandler handler) = Start(backend, new HttpServerOptions { RequestHeadTimeout = HeadTimeout });
        await using (server)
        {
            using Socket client = await server.ConnectSocketAsync();
            for (int i = 0; i < 2; i++)
            {
                await client.SendAsync(Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
                Assert.Contains("Hello, World!", Encoding.ASCII.GetString(await ReceiveOneResponse(client)), StringComparison.Ordinal);
                await Task.Delay(HeadTimeout * 2); // the deadline guards heads under way, not idle keep-alive
            }

            Assert.Equal(0, handler.GetStatistics().HeadTimeouts);
        }
    }

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task A_kept_alive_client_idle_past_the_keep_alive_timeout_is_closed_without_a_word(PollerBackendKind backend)
    {
        var keepAlive = TimeSpan.FromMilliseconds(300);
        (TestServer server, HttpHandler handler) = Start(backend, new HttpServerOptions { KeepAliveTimeout = keepAlive });
        await using (server)
        {
            using Socket client = await server.ConnectSocketAsync();
            await client.SendAsync(Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
            Assert.Contains("Hello, World!", Encoding.ASCII.GetString(await ReceiveOneResponse(client)), StringComparison.Ordinal);
            var idle = System.Diagnostics.Stopwatch.StartNew();
            Assert.Empty(await client.ReceiveToEndAsync(timeoutMs: 10_000)); // a FIN, no 408: nothing was asked
            Assert.True(idle.Elapsed >= keepAlive * 0.9, $"closed after {idle.Elapsed.TotalMilliseconds:0} ms, before the keep-alive time");
            Assert.Equal(new HttpServerStatistics(0, 0, 0, 0), handler.GetStatistics()); // an idle close is no fault
            await TestServer.Eventually(() => server.Loop.GetStats().Sum(s => s.Connections) == 0, "the idle connection closed");
        }
    }

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task A_client_reading_a_large_answer_slower_than_the_keep_alive_timeout_gets_all_of_it(PollerBackendKind backend)
    {
        var routes = new HttpRouteTable([HttpRoute.Static("GET /big", new HttpResponse { Body = HttpBody.Filler(4 << 20) })]);
        var handler = new HttpHandler(routes, new HttpServerOptions { KeepAliveTimeout = TimeSpan.FromMilliseconds(200) });
        await using TestServer server = TestServer.Start(handler, new EventLoopOptions { Backend = backend });
        using Socket client = await server.ConnectSocketAsync();
        client.ReceiveBufferSize = 16 * 1024;
        await client.SendAsync(Encoding.ASCII.GetBytes("GET /big HTTP/1.1\r\nHost: x\r\n\r\n"));
        // Read 4 MiB at about 4 MiB/s: a second or more, five times the keep-alive time, with the answer still going out.
        var buffer = new byte[16 * 1024];
        long received = 0;
        var watch = System.Diagnostics.Stopwatch.StartNew();
        while (watch.Elapsed < TimeSpan.FromSeconds(20))
        {
            using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            int n = await client.ReceiveAsync(buffer, SocketFlags.None, cancel.Token);
            if (n == 0)
            {
                break;
            }

            received += n;
            if (received >= (4 << 20) + 100)
            {
                break; // the head and all of the body (the head is under 200 bytes)
            }

            await Task.Delay(4);
        }

        Assert.True(watch.Elapsed > TimeSpan.FromMilliseconds(600), $"the read took {watch.Elapsed.TotalMilliseconds:0} ms: not slower than the keep-alive time");
        Assert.True(received > 4 << 20, $"{received} bytes arrived of 4 MiB and a head: the connection was cut mid-answer");
        Assert.Empty(await client.ReceiveToEndAsync(timeoutMs: 10_000)); // then idle: closed
    }

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task A_body_slower_than_the_minimum_rate_gets_408_after_the_grace_period(PollerBackendKind backend)
    {
        (TestServer server, HttpHandler handler) = Start(backend, new HttpServerOptions { MinBodyDataRate = 1000, MinBodyDataRateGracePeriod = TimeSpan.FromMilliseconds(300) });
        await using (server)
        {
            using Socket client = await server.ConnectSocketAsync();
            Task<byte[]> reply = client.ReceiveToEndAsync(timeoutMs: 10_000);
            await client.SendAsync(Encoding.ASCII.GetBytes("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4000\r\n\r\n"));
            int sent = await DripUntilAnswered(client, reply, new byte[4000], bytesPerStep: 10, everyMs: 100); // 100 B/s, a tenth of the minimum

            string text = Encoding.ASCII.GetString(await reply);
            Assert.StartsWith("HTTP/1.1 408 ", text, StringComparison.Ordinal);
            Assert.True(sent < 4000, "the whole body went out before the answer, so the rate deadline did not end it");
            Assert.Equal(1, handler.GetStatistics().BodyTimeouts);
        }
    }

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task A_body_at_the_minimum_rate_is_read_whole_however_long_it_takes(PollerBackendKind backend)
    {
        (TestServer server, HttpHandler handler) = Start(backend, new HttpServerOptions { MinBodyDataRate = 1000, MinBodyDataRateGracePeriod = TimeSpan.FromMilliseconds(200) });
        await using (server)
        {
            using Socket client = await server.ConnectSocketAsync();
            await client.SendAsync(Encoding.ASCII.GetBytes("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3000\r\nConnection: close\r\n\r\n"));
            for (int i = 0; i < 10; i++)
            {
                await client.SendAsync(new byte[300]); // 3000 B/s for a second: the deadline moves ahead each time
                await Task.Delay(100);
            }

            string text = Encoding.ASCII.GetString(await client.ReceiveToEndAsync(timeoutMs: 10_000));
            Assert.StartsWith("HTTP/1.1 200 OK\r\n", text, StringComparison.Ordinal);
            Assert.Contains("X-Body-Length: 3000", text, StringComparison.Ordinal);
            Assert.Equal(0, handler.GetStatistics().BodyTimeouts);
        }
    }

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task The_limits_can_be_turned_off(PollerBackendKind backend)
    {
        (TestServer server, HttpHandler handler) = Start(backend, new HttpServerOptions { RequestHeadTimeout = TimeSpan.Zero, MinBodyDataRate = 0 });
        await using (server)
        {
            using Socket client = await server.ConnectSocketAsync();
            await client.SendAsync(Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\n"));
            await Task.Delay(500);
            await client.SendAsync(Encoding.ASCII.GetBytes("Host: x\r\n\r\n"));
            Assert.Contains("Hello, World!", Encoding.ASCII.GetString(await ReceiveOneResponse(client)), StringComparison.Ordinal);
            Assert.Equal(new HttpServerStatistics(0, 0, 0, 0), handler.GetStatistics());
        }
    }

    /// <summary>Sends <paramref name="bytes"/> a few at a time, one step every <paramref name="everyMs"/>, until the server answers (or closes); returns how many went.</summary>
    private static async Task<int> DripUntilAnswered(Socket client, Task<byte[]> reply, byte[] bytes, int bytesPerStep, int everyMs)
    {
        int sent = 0;
        while (!reply.IsCompleted && sent < bytes.Length)
        {
            try
            {
                sent += await client.SendAsync(bytes.AsMemory(sent, Math.Min(bytesPerStep, bytes.Length - sent)));
            }
            catch (SocketException)
            {
                break; // the server closed first
            }

            await Task.WhenAny(reply, Task.Delay(everyMs));
        }

        return sent;
    }

    private static async Task<byte[]> ReceiveOneResponse(Socket client)
    {
        var bytes = new List<byte>();
        while (!Encoding.ASCII.GetString([.. bytes]).EndsWith("Hello, World!", StringComparison.Ordinal))
        {
            Assert.True(bytes.Count < 64 * 1024, "no Hello, World! response in the first 64 KiB"); // bounded in count; each read in time
            bytes.AddRange(await client.ReceiveExactlyAsync(1));
        }

        return [.. bytes];
    }
}
