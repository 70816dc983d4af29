namespace Netpoll.Load;

/// <summary>
/// What a load test measured. Raw numbers (counts, bytes, TimeSpans) so they sort and aggregate, with
/// each latency also in milliseconds (<c>LatencyP99Ms</c>) for scripts, CSV and JSON. A latency is
/// null, never zero, when nothing was measured: a run in which no request completed has no latency.
/// </summary>
public sealed record LoadResult
{
    public required LoadPattern Pattern { get; init; }
    public required string Target { get; init; }

    /// <summary>When the test started (wall clock): the origin of <see cref="Timeline"/>'s Elapsed.</summary>
    public required DateTimeOffset StartTime { get; init; }

    public required int ConnectionsRequested { get; init; }
    public required int ConnectionsOpened { get; init; }
    public required int PeakConnections { get; init; }
    public required long ConnectFailures { get; init; }

    /// <summary>Requests that completed (a full reply arrived).</summary>
    public required long Requests { get; init; }

    /// <summary>Requests sent that never completed: no reply in time, or their connection broke.</summary>
    public required long RequestsFailed { get; init; }

    public required long BytesSent { get; init; }
    public required long BytesReceived { get; init; }
    public required TimeSpan Elapsed { get; init; }
    public required double RequestsPerSecond { get; init; }
    public required double ThroughputBytesPerSecond { get; init; }
    public required TimeSpan? LatencyMean { get; init; }
    public required TimeSpan? LatencyP50 { get; init; }
    public required TimeSpan? LatencyP90 { get; init; }
    public required TimeSpan? LatencyP99 { get; init; }
    public required TimeSpan? LatencyP999 { get; init; }
    public required TimeSpan? LatencyMax { get; init; }
    public required TimeSpan? ConnectP50 { get; init; }
    public required TimeSpan? ConnectP99 { get; init; }
    public required TimeSpan? ConnectMax { get; init; }

    /// <summary>Errors by cause: <c>ErrorsByKind.Refused</c>, <c>ErrorsByKind.ResponseTimeout</c>, ...</summary>
    public required LoadErrors ErrorsByKind { get; init; }

    /// <summary>Why the test stopped: Duration, Requests, Canceled, or NoConnections (every connection failed or closed).</summary>
    public required string StopReason { get; init; }

    /// <summary>One sample per progress interval: open connections, requests, rate and interval latency.</summary>
    public LoadTimeline Timeline { get; init; } = LoadTimeline.Empty;

    /// <summary>True when the generator ran in another process than the one that asked for the test.</summary>
    public bool Isolated { get; init; }

    /// <summary>All errors (the sum of <see cref="ErrorsByKind"/>).</summary>
    public long Errors => ErrorsByKind.Total;

    public double ElapsedSeconds => Elapsed.TotalSeconds;
    public double? LatencyMeanMs => LatencyMean?.TotalMilliseconds;
    public double? LatencyP50Ms => LatencyP50?.TotalMilliseconds;
    public double? LatencyP90Ms => LatencyP90?.TotalMilliseconds;
    public double? LatencyP99Ms => LatencyP99?.TotalMilliseconds;
    public double? LatencyP999Ms => LatencyP999?.TotalMilliseconds;
    public double? LatencyMaxMs => LatencyMax?.TotalMilliseconds;
    public double? ConnectP50Ms => ConnectP50?.TotalMilliseconds;
    public double? ConnectP99Ms => ConnectP99?.TotalMilliseconds;
    public double? ConnectMaxMs => ConnectMax?.TotalMilliseconds;
}
