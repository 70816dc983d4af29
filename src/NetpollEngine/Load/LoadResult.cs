namespace Netpoll.Load;

/// <summary>What a load test measured. Raw numbers (counts, bytes, TimeSpans) so they sort and aggregate.</summary>
public sealed record LoadResult
{
    public required LoadPattern Pattern { get; init; }
    public required string Target { get; init; }
    public required int ConnectionsRequested { get; init; }
    public required int ConnectionsOpened { get; init; }
    public required int PeakConnections { get; init; }
    public required long Requests { get; init; }
    public required long BytesSent { get; init; }
    public required long BytesReceived { get; init; }
    public required TimeSpan Elapsed { get; init; }
    public required double RequestsPerSecond { get; init; }
    public required double ThroughputBytesPerSecond { get; init; }
    public required TimeSpan LatencyMean { get; init; }
    public required TimeSpan LatencyP50 { get; init; }
    public required TimeSpan LatencyP90 { get; init; }
    public required TimeSpan LatencyP99 { get; init; }
    public required TimeSpan LatencyP999 { get; init; }
    public required TimeSpan LatencyMax { get; init; }
    public required TimeSpan ConnectP50 { get; init; }
    public required TimeSpan ConnectP99 { get; init; }
    public required TimeSpan ConnectMax { get; init; }
    public required long ConnectFailures { get; init; }
    public required long Errors { get; init; }

    /// <summary>Errors by cause (refused, reset, timeout, EMFILE, EADDRNOTAVAIL, ...).</summary>
    public required IReadOnlyDictionary<LoadErrorKind, long> ErrorsByKind { get; init; }

    /// <summary>Why the test stopped: Duration, Requests, Canceled.</summary>
    public required string StopReason { get; init; }

    /// <summary>One sample per progress interval: open connections, requests, rate and interval latency.</summary>
    public IReadOnlyList<LoadProgress> Timeline { get; init; } = [];

    /// <summary>True when the generator ran in another process than the one that asked for the test.</summary>
    public bool Isolated { get; init; }
}
