using System.Runtime.CompilerServices;
using System.Text;
using Netpoll.Connections;
using Netpoll.Polling;
using Netpoll.Tests.Support;

namespace Netpoll.Load.Tests.Http;

/// <summary>
/// A server may close an idle keep-alive connection at any moment, and a request sent at that moment is lost through no
/// fault of its own (nginx's keepalive_requests with pipelining, haproxy's short http-keep-alive). RFC 9112 §9.3.1 lets
/// the client send an idempotent one again; the generator does so on the slot's next connection, as Go's net/http
/// does, and never for POST, nor after a connection that answered nothing (that is a refusal, not a race).
/// </summary>
public class KeepAliveRaceRetryTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    public static TheoryData<PollerBackendKind, int> BackendsAndDepths => BackendMatrix.Cross(1, 4);

    [Theory]
    [MemberData(nameof(BackendsAndDepths))]
    public async Task Idempotent_requests_a_keep_alive_close_raced_are_retried_and_all_answered(PollerBackendKind backend, int pipeline)
    {
        await using var server = TestServer.Start(ClosingSilentlyAfter(3), BackendMatrix.Server(backend));
        LoadResult result = await LoadGenerator.RunAsync(Options(backend, server, pipeline, requests: 300, "GET")).WaitAsync(Bound);

        Assert.Equal("Requests", result.StopReason);
        Assert.True(result.Requests == 300, $"{result.Requests} answered, {result.RequestsFailed} failed, {result.RequestsRetried} retried, {result.ConnectionsReopened} reopened; errors: {result.ErrorsByKind}");
        Assert.Equal(300, result.StatusCodes[200]);
        Assert.Equal(0, result.RequestsFailed);
        Assert.Equal(0, result.ErrorsByKind.ClosedEarly);
        Assert.True(result.Errors == result.ErrorsByKind.Reset, $"errors: {result.ErrorsByKind}"); // a reset of a socket closed with a request unread is counted, and cost nothing

        // Pipelined, every close meets 4 in flight (the client sends one as each response comes), the 4th of which the next
        // connection loses again; one at a time, the 4th request is mostly sent before the FIN is read.
        Assert.True(result.RequestsRetried > 0, "no request met the server's close");
    }

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task Without_retries_the_requests_a_keep_alive_close_raced_fail_as_closed_early(PollerBackendKind backend)
    {
        await using var server = TestServer.Start(ClosingSilentlyAfter(3), BackendMatrix.Server(backend));
        LoadResult result = await LoadGenerator.RunAsync(Options(backend, server, pipeline: 4, requests: 300, "GET") with { RetryIdempotent = false }).WaitAsync(Bound);

        AssertClosedEarlyWithoutRetries(result);
    }

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task A_POST_a_keep_alive_close_raced_is_never_sent_twice(PollerBackendKind backend)
    {
        await using var server = TestServer.Start(ClosingSilentlyAfter(3), BackendMatrix.Server(backend));
        LoadResult result = await LoadGenerator.RunAsync(Options(backend, server, pipeline: 4, requests: 300, "POST")).WaitAsync(Bound);

        AssertClosedEarlyWithoutRetries(result);
    }

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task A_retried_request_that_fails_again_counts_as_its_second_failure_and_is_not_retried_again(PollerBackendKind backend)
    {
        // The first connection answers the first of two pipelined requests and closes; every later one closes on its first request.
        int connections = 0;
        var numbers = new ConditionalWeakTable<Connection, StrongBox<int>>();
        await using var server = TestServer.Start(c =>
        {
            StrongBox<int> number = numbers.GetValue(c, _ => new StrongBox<int>(Interlocked.Increment(ref connections)));
            if (number.Value > 1)
            {
                c.Close();
                return default;
            }

            if (RequestHeads(c) < 2)
            {
                return default; // wait for both, so the second was sent before the close
            }

            c.Writer.WriteBinary("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"u8);
            return CloseAfterFlushAsync(c);
        }, BackendMatrix.Server(backend));
        LoadResult result = await LoadGenerator.RunAsync(Options(backend, server, pipeline: 2, requests: 2, "GET") with { Connections = 1 }).WaitAsync(Bound);

        Assert.Equal(1, result.Requests);
        Assert.Equal(1, result.RequestsRetried);
        Assert.Equal(1, result.RequestsFailed);
        Assert.True(result.ErrorsByKind.ClosedEarly + result.ErrorsByKind.Reset == 1, $"errors: {result.ErrorsByKind}");
    }

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task A_server_that_closes_every_connection_unanswered_is_not_retried_and_gets_the_back_off(PollerBackendKind backend)
    {
        await using var server = TestServer.Start(c =>
        {
            c.Close();
            return default;
        }, BackendMatrix.Server(backend));
        LoadResult result = await LoadGenerator.RunAsync(Options(backend, server, pipeline: 4, requests: 0, "GET") with
        {
            Connections = 3,
            Duration = TimeSpan.FromSeconds(1),
        }).WaitAsync(Bound);

        Assert.Equal(0, result.Requests);
        Assert.Equal(0, result.RequestsRetried);
        Assert.True(result.RequestsFailed > 0, "nothing failed");
        Assert.InRange(result.ConnectionsReopened, 3, 3 * ReconnectBound.PerSlot(result.Elapsed)); // replaced after a back-off: no loop
    }

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task A_fixed_rate_retry_is_sent_at_once_and_its_latency_holds_the_first_attempt(PollerBackendKind backend)
    {
        await using var server = TestServer.Start(ClosingSilentlyAfter(3), BackendMatrix.Server(backend));
        LoadResult result = await LoadGenerator.RunAsync(Options(backend, server, pipeline: 4, requests: 0, "GET") with
        {
            Connections = 2,
            Rate = 400,
            Duration = TimeSpan.FromSeconds(1),
        }).WaitAsync(Bound);

        Assert.True(result.RequestsFailed == 0 && result.ErrorsByKind.ClosedEarly == 0, $"{result.Requests} answered, {result.RequestsFailed} failed, {result.RequestsRetried} retried, {result.ConnectionsReopened} reopened; errors: {result.ErrorsByKind}");
        Assert.True(result.RequestsRetried > 0, "no request met the server's close");

        // Each request taken from the schedule is counted once, retried or not.
        ShortKeepAliveRateTests.AssertScheduleAccounted(result);
    }

    private static void AssertClosedEarlyWithoutRetries(LoadResult result)
    {
        Assert.Equal(0, result.RequestsRetried);
        Assert.True(result.ErrorsByKind.ClosedEarly + result.ErrorsByKind.Reset > 0, $"errors: {result.ErrorsByKind}");
        Assert.True(result.RequestsFailed > 0, "nothing failed");
        Assert.Equal(300, result.Requests + result.RequestsFailed); // each request counted once
    }

    private static LoadOptions Options(PollerBackendKind backend, TestServer server, int pipeline, long requests, string method) => new()
    {
        Backend = backend,
        Target = server.EndPoint,
        Pattern = LoadPattern.Http,
        HttpRequests = [new LoadHttpRequest { Method = method, Uri = new Uri($"http://127.0.0.1:{server.EndPoint.Port}/") }],
        Connections = 2,
        Pipeline = pipeline,
        Requests = requests,
        Duration = TimeSpan.FromSeconds(30),
    };

    /// <summary>An HTTP server that closes each connection after its <paramref name="n"/>th response without <c>Connection: close</c>, unanswered requests left unread.</summary>
    private static Func<Connection, ValueTask> ClosingSilentlyAfter(int n)
    {
        byte[] response = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"u8.ToArray();
        var answered = new ConditionalWeakTable<Connection, StrongBox<int>>();
        return c =>
        {
            StrongBox<int> count = answered.GetOrCreateValue(c);
            bool wrote = false;
            while (count.Value < n && HttpServerLoadTests.SkipRequestHead(c))
            {
                c.Writer.WriteBinary(response);
                count.Value++;
                wrote = true;
            }

            return count.Value == n ? CloseAfterFlushAsync(c) : wrote ? c.Writer.FlushAsync() : default;
        };
    }

    private static async ValueTask CloseAfterFlushAsync(Connection c)
    {
        await c.Writer.FlushAsync();
        c.Close();
    }

    private static int RequestHeads(Connection c)
    {
        string buffered = Encoding.ASCII.GetString(c.Reader.Peek(c.Reader.Length).Span);
        int heads = 0;
        for (int at = buffered.IndexOf("\r\n\r\n", StringComparison.Ordinal); at >= 0; at = buffered.IndexOf("\r\n\r\n", at + 4, StringComparison.Ordinal))
        {
            heads++;
        }

        return heads;
    }
}
