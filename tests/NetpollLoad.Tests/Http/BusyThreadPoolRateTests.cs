using Netpoll.Connections;
using Netpoll.Polling;
using Netpoll.Server;
using Netpoll.Tests.Support;

namespace Netpoll.Load.Tests.Http;

/// <summary>
/// A fixed rate whose connections the server keeps closing, in a process whose thread pool is busy — as a pwsh
/// session's often is. The reopen path (a close, the replacement's connect, its first request) runs on the pollers, so
/// the schedule does not wait for the pool, and a connect is timed to its completion on the generator's poller, not to
/// where the connect's caller resumes on the pool. It runs alone (<see cref="RunsAloneCollection"/>): it blocks the pool
/// on purpose.
/// </summary>
[Collection(RunsAloneCollection.Name)]
public class BusyThreadPoolRateTests
{
    private static readonly TimeSpan Blocked = TimeSpan.FromSeconds(3);

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task A_server_that_closes_every_third_response_gets_the_schedule_while_the_thread_pool_is_busy(PollerBackendKind backend)
    {
        LoadResult result = await RunStarvedAsync(backend, closingEvery: 3, rate: 1000);

        // Before the reopen path left the pool: 495 of 2,001 sent, and 9 in a run that began starved.
        Assert.True(result.Errors == 0, $"errors: {result.ErrorsByKind}");
        Assert.InRange(result.RequestsScheduled!.Value, 1990, 2001);
        ShortKeepAliveRateTests.AssertScheduleAccounted(result);
        ShortKeepAliveRateTests.AssertScheduleHeld(result);
    }

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task Connects_made_while_the_thread_pool_is_blocked_are_timed_as_the_loopback_connects_they_are(PollerBackendKind backend)
    {
        // A server that closes after every response: every request after a connection's first is on a new connection,
        // reopened from the poller while the pool is blocked.
        LoadResult result = await RunStarvedAsync(backend, closingEvery: 1, rate: 200);

        // Before the connect was timed on the poller, the reopens' times were the pool's wait: p50 5–8 s, p99 6–9 s. Timed
        // where it completes, a loopback connect is 0.1 ms at p50 and 1–60 ms at p99 (the run's first connects, and a
        // loaded machine). The bounds tell the two apart, not how fast a machine connects: a tenth and a half of the block.
        string times = $"connect p50 {result.ConnectP50Ms} ms, p99 {result.ConnectP99Ms} ms, max {result.ConnectMaxMs} ms over {result.ConnectionsOpened} connections";
        Assert.True(result.ConnectionsReopened > 0, $"no connection was reopened while the pool was blocked ({times})");
        Assert.True(result.ConnectP50 < Blocked / 10, times);
        Assert.True(result.ConnectP99 < Blocked / 2, times);
    }

    /// <summary>
    /// A 2 s fixed-rate run of 8 connections with the pool blocked, against a server in this process that closes after
    /// every <paramref name="closingEvery"/>th response and answers on its pollers (Inline), or it would be the one
    /// waiting for the pool.
    /// </summary>
    private static async Task<LoadResult> RunStarvedAsync(PollerBackendKind backend, int closingEvery, int rate)
    {
        EventLoopOptions inline = BackendMatrix.Server(backend) with { Connection = new ConnectionOptions { Dispatch = DispatchMode.Inline } };
        await using var server = TestServer.Start(ShortKeepAliveRateTests.ClosingEvery(closingEvery), inline);
        return await ThreadPoolStarver.RunStarvedAsync(ShortKeepAliveRateTests.RateOptions(backend, server, connections: 8) with
        {
            Rate = rate,
            Duration = TimeSpan.FromSeconds(2),
        }, Blocked);
    }
}
