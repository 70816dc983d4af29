using Netpoll.Load;

namespace Netpoll.PowerShell;

/// <summary>What Invoke-NetpollLoad measured. Raw numbers and TimeSpans, formatted by the module's views.</summary>
public sealed class NetpollLoadResult
{
    public required string Target { get; init; }
    public required LoadPattern Pattern { get; init; }
    public required int Connections { get; init; }
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
    /// <summary>Errors by cause, e.g. Refused=3, Reset=1.</summary>
    public required IReadOnlyDictionary<string, long> ErrorsByKind { get; init; }
    public required string StopReason { get; init; }
    /// <summary>True when the generator ran in a separate process (-Isolated).</summary>
    public required bool Isolated { get; init; }

    /// <summary>One sample per second: elapsed time, open connections, requests, rate, interval p50/p99.</summary>
    public required IReadOnlyList<LoadProgress> Timeline { get; init; }

    internal static NetpollLoadResult From(LoadResult r, bool isolated) => new()
    {
        Target = r.Target,
        Pattern = r.Pattern,
        Connections = r.ConnectionsRequested,
        ConnectionsOpened = r.ConnectionsOpened,
        PeakConnections = r.PeakConnections,
        Requests = r.Requests,
        BytesSent = r.BytesSent,
        BytesReceived = r.BytesReceived,
        Elapsed = r.Elapsed,
        RequestsPerSecond = Math.Round(r.RequestsPerSecond, 1),
        ThroughputBytesPerSecond = Math.Round(r.ThroughputBytesPerSecond, 1),
        LatencyMean = r.LatencyMean,
        LatencyP50 = r.LatencyP50,
        LatencyP90 = r.LatencyP90,
        LatencyP99 = r.LatencyP99,
        LatencyP999 = r.LatencyP999,
        LatencyMax = r.LatencyMax,
        ConnectP50 = r.ConnectP50,
        ConnectP99 = r.ConnectP99,
        ConnectMax = r.ConnectMax,
        ConnectFailures = r.ConnectFailures,
        Errors = r.Errors,
        ErrorsByKind = r.ErrorsByKind.ToDictionary(e => e.Key.ToString(), e => e.Value),
        StopReason = r.StopReason,
        Isolated = isolated,
        Timeline = r.Timeline,
    };
}
