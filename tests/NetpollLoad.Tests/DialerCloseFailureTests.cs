using Netpoll.Client;
using Netpoll.Protocols;
using Netpoll.Tests.Support;

namespace Netpoll.Load.Tests;

/// <summary>
/// Closing the generator's dialer comes after everything is counted, so its failure (a poller that would not stop in
/// time) costs nothing measured: the result comes back whole and names the failure. Before, the dialer was closed by
/// an `await using`, whose exception replaced the result. A run that fails on its own reports its own failure, not the close's.
/// </summary>
public sealed class DialerCloseFailureTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_dialer_that_fails_to_close_leaves_the_measured_result_whole_and_says_why()
    {
        await using var server = TestServer.Start(new EchoHandler());

        LoadResult result = await LoadGenerator.RunAsync(
            new LoadOptions { Target = server.EndPoint, Connections = 2, MessageSize = 32, Requests = 200 },
            progress: null,
            options => new Dialer(options),
            CancellationToken.None,
            FailingClose).WaitAsync(Bound);

        Assert.Equal("Requests", result.StopReason);
        Assert.Equal(200, result.Requests);
        Assert.NotNull(result.LatencyP99);
        Assert.Equal("TimeoutException: A poller did not stop within 10 s.", result.CleanupError);
    }

    [Fact]
    public async Task A_dialer_that_closes_cleanly_leaves_no_cleanup_error()
    {
        await using var server = TestServer.Start(new EchoHandler());
        LoadResult result = await LoadGenerator.RunAsync(new LoadOptions { Target = server.EndPoint, Connections = 1, MessageSize = 32, Requests = 10 }).WaitAsync(Bound);

        Assert.Equal(10, result.Requests);
        Assert.Null(result.CleanupError);
    }

    [Fact]
    public async Task A_run_that_fails_reports_its_own_failure_not_the_close_s()
    {
        await using var server = TestServer.Start(new EchoHandler());
        string log = Path.Combine(Path.GetTempPath(), $"np-no-such-dir-{Guid.NewGuid():N}", "run.hlog");

        await Assert.ThrowsAsync<DirectoryNotFoundException>(() => LoadGenerator.RunAsync(
            new LoadOptions { Target = server.EndPoint, Connections = 1, MessageSize = 32, Requests = 10, HistogramLogPath = log },
            progress: null,
            options => new Dialer(options),
            CancellationToken.None,
            FailingClose).WaitAsync(Bound));
    }

    [Fact]
    public void Merged_results_keep_each_node_s_cleanup_error()
    {
        LoadResult Part(string tag, string? error) => BlankResult.Of() with { Tag = tag, CleanupError = error };

        Assert.Null(LoadResult.Merge([Part("a", null), Part("b", null)]).CleanupError);
        Assert.Equal("TimeoutException: x", LoadResult.Merge([Part("a", null), Part("b", "TimeoutException: x"), Part("c", "TimeoutException: x")]).CleanupError);
    }

    /// <summary>Closes the dialer, then fails as a poller that outlived its stop's wait makes the close fail.</summary>
    private static async ValueTask FailingClose(Dialer dialer)
    {
        await dialer.DisposeAsync();
        throw new TimeoutException("A poller did not stop within 10 s.");
    }
}
