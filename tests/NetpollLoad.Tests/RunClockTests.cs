using Netpoll.Client;
using Netpoll.Tests.Support;

namespace Netpoll.Load.Tests;

/// <summary>
/// A run's clock (Elapsed, the timeline, a fixed-rate schedule) starts when requests can be made, as wrk and k6 count:
/// building the dialer is set-up, not run time. A cold dialer (a new -Isolated process) takes 100-280 ms; here it is
/// slowed to <see cref="SlowBuild"/> so that, counted, it could not hide in the timer's slack.
/// </summary>
public sealed class RunClockTests
{
    private static readonly TimeSpan SlowBuild = TimeSpan.FromSeconds(1.5);

    [Fact]
    public async Task Elapsed_is_the_duration_the_requests_ran_not_the_dialer_s_building()
    {
        await using var server = TestServer.Start(new Netpoll.Protocols.EchoHandler());
        var duration = TimeSpan.FromMilliseconds(400);

        long calledAt = System.Diagnostics.Stopwatch.GetTimestamp();
        LoadResult result = await LoadGenerator.RunAsync(
            new LoadOptions { Target = server.EndPoint, Connections = 2, MessageSize = 32, Duration = duration },
            progress: null,
            SlowDialer,
            CancellationToken.None);
        TimeSpan wall = System.Diagnostics.Stopwatch.GetElapsedTime(calledAt);

        // Counted from before the build, Elapsed was at least the build plus the duration (the stop was armed after it),
        // which no longer fits in the call's time less the build. An upper bound from the call itself, not from the clock's
        // punctuality: a loaded machine's late stop lengthens both sides alike.
        Assert.Equal("Duration", result.StopReason);
        // The stop's timer may fire a fraction of a millisecond before the Stopwatch says the duration is up (399.5 ms once).
        Assert.True(result.Elapsed >= duration - TimeSpan.FromMilliseconds(20), $"elapsed {result.Elapsed}, shorter than the {duration} asked for");
        Assert.True(result.Elapsed <= wall - SlowBuild, $"elapsed {result.Elapsed} counts the dialer's build: the call took {wall}, the build {SlowBuild} of it");
        Assert.True(result.Requests > 0);
        Assert.Equal(result.Requests / result.Elapsed.TotalSeconds, result.RequestsPerSecond, 6);
    }

    [Fact]
    public async Task A_fixed_rate_schedule_starts_with_the_run_not_before_the_dialer_is_built()
    {
        await using var server = TestServer.Start(new Netpoll.Protocols.EchoHandler());

        LoadResult result = await LoadGenerator.RunAsync(
            new LoadOptions { Target = server.EndPoint, Connections = 2, MessageSize = 32, Rate = 100, Duration = TimeSpan.FromMilliseconds(500) },
            progress: null,
            SlowDialer,
            CancellationToken.None);

        // 100/s for 0.5 s is 51 due (the first at 0). A schedule that began before the build had 150 more due at once,
        // each counted 1.5 s late: coordinated-omission correction blaming the server for the client's set-up.
        // Due over the run: one at 0, then 100 a second until the stop (a loaded machine's late stop adds its own few).
        long dueOverRun = 1 + (long)(result.Elapsed.TotalSeconds * 100);
        Assert.InRange(result.RequestsScheduled ?? 0, dueOverRun - 5, dueOverRun + 5);
        // Begun before the build, every request was due at least the build's length before it could be sent.
        Assert.True(result.ScheduleLagMax < SlowBuild, $"the schedule lagged {result.ScheduleLagMax} behind: as long as the dialer's build ({SlowBuild})");
        Assert.True(result.LatencyMax < SlowBuild, $"a request took {result.LatencyMax} from when it was due: as long as the dialer's build ({SlowBuild})");
    }

    private static Dialer SlowDialer(DialerOptions options)
    {
        Thread.Sleep(SlowBuild);
        return new Dialer(options);
    }
}
