namespace Netpoll.Diagnostics;

/// <summary>An immutable snapshot of one poller's counters. Taking it costs the poller nothing.</summary>
public sealed record PollerStats
{
    public required int PollerId { get; init; }
    public required string Backend { get; init; }
    public required DateTimeOffset Timestamp { get; init; }
    public required long Connections { get; init; }
    public required long Accepted { get; init; }
    public required long Closed { get; init; }
    public required long Waits { get; init; }
    public required long Events { get; init; }
    public required long Wakeups { get; init; }
    public required long BytesIn { get; init; }
    public required long BytesOut { get; init; }
    public required long ReadCalls { get; init; }
    public required long WriteCalls { get; init; }
    public required long WaitedFlushes { get; init; }
    public required long Paused { get; init; }
    public required long BufferBytes { get; init; }
    public required long AcceptBackoffs { get; init; }
    public required long Timeouts { get; init; }
    public required TimeSpan BusyTime { get; init; }
    public required TimeSpan WaitTime { get; init; }

    /// <summary>Share of the poller thread's time spent working rather than waiting, 0–100.</summary>
    public double BusyPercent
    {
        get
        {
            double total = BusyTime.TotalSeconds + WaitTime.TotalSeconds;
            return total <= 0 ? 0 : 100.0 * BusyTime.TotalSeconds / total;
        }
    }
}
