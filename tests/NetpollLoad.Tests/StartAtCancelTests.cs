using Netpoll.Protocols;
using Netpoll.Tests.Support;

namespace Netpoll.Load.Tests;

/// <summary>
/// A run canceled while it waits for its StartAt (Ctrl+C before the nodes' common start) sends nothing: its connections
/// are open, each holding its first request, and none of those may go out because the wait ended. Before, the held
/// requests were released as the run stopped and the result showed a request or two that the start never allowed.
/// </summary>
public sealed class StartAtCancelTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_closed_loop_canceled_before_its_start_sends_no_request()
    {
        await using var server = TestServer.Start(new EchoHandler());
        LoadResult result = await CanceledBeforeStart(new LoadOptions { Target = server.EndPoint, Connections = 2, MessageSize = 32, Duration = TimeSpan.FromSeconds(5) });

        Assert.Equal("Canceled", result.StopReason);
        Assert.Equal(2, result.ConnectionsOpened); // the connections did open for the start: what was held, was held on them
        Assert.Equal(0, result.BytesSent);
        Assert.Equal(0, result.Requests);
        Assert.Equal(0, result.RequestsFailed);
        Assert.Equal(0, result.RequestsInFlightAtStop);
        Assert.Equal(TimeSpan.Zero, result.Elapsed);
    }

    [Fact]
    public async Task A_fixed_rate_run_canceled_before_its_start_has_nothing_scheduled()
    {
        await using var server = TestServer.Start(new EchoHandler());
        LoadResult result = await CanceledBeforeStart(new LoadOptions { Target = server.EndPoint, Connections = 2, MessageSize = 32, Rate = 100, Duration = TimeSpan.FromSeconds(5) });

        Assert.Equal("Canceled", result.StopReason);
        Assert.Equal(0, result.BytesSent);
        Assert.Equal(0, result.Requests);
        Assert.Equal(0, result.RequestsScheduled); // second 0's request falls due at the start, which never came
        Assert.Equal(0, result.RequestsNotSent);
    }

    /// <summary>Runs with a start 20 s ahead and cancels it after its connections have had a second to open.</summary>
    private static async Task<LoadResult> CanceledBeforeStart(LoadOptions options)
    {
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(1));
        return await LoadGenerator.RunAsync(options with { StartAt = DateTimeOffset.UtcNow.AddSeconds(20) }, progress: null, cancel.Token).WaitAsync(Bound);
    }
}
