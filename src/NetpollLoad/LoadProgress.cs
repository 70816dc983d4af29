namespace Netpoll.Load;

/// <summary>A progress report from a running load test.</summary>
/// <param name="Elapsed">Time since the test started (<see cref="LoadResult.StartTime"/>): add the two for the wall-clock time.</param>
/// <param name="ConnectionsOpen">Connections open now.</param>
/// <param name="ConnectionsTarget">Connections the test opens in all.</param>
/// <param name="Requests">Requests completed so far.</param>
/// <param name="RequestsPerSecond">Rate over the last interval.</param>
/// <param name="Errors">Errors so far.</param>
/// <param name="Duration">Planned duration, or null when bounded by requests only.</param>
/// <param name="LatencyP50">Median latency of the requests completed since the previous report; null when none completed.</param>
/// <param name="LatencyP99">99th percentile latency since the previous report; null when none completed.</param>
/// <param name="ScheduleLag">Fixed rate: how long the oldest due request has waited to be sent (zero when on schedule); null in a closed loop.</param>
/// <param name="TargetRate">Fixed rate: the schedule's rate now, per second; null in a closed loop.</param>
public readonly record struct LoadProgress(
    TimeSpan Elapsed,
    int ConnectionsOpen,
    int ConnectionsTarget,
    long Requests,
    double RequestsPerSecond,
    long Errors,
    TimeSpan? Duration,
    TimeSpan? LatencyP50 = null,
    TimeSpan? LatencyP99 = null,
    TimeSpan? ScheduleLag = null,
    double? TargetRate = null)
{
    /// <summary><see cref="LatencyP50"/> in milliseconds.</summary>
    public double? LatencyP50Ms => LatencyP50?.TotalMilliseconds;

    /// <summary><see cref="LatencyP99"/> in milliseconds.</summary>
    public double? LatencyP99Ms => LatencyP99?.TotalMilliseconds;

    /// <summary><see cref="ScheduleLag"/> in milliseconds.</summary>
    public double? ScheduleLagMs => ScheduleLag?.TotalMilliseconds;
}
