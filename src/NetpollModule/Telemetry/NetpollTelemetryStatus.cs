using Netpoll.Telemetry;

namespace Netpoll.PowerShell;

/// <summary>What telemetry this process exports and logs right now (Get-NetpollTelemetry).</summary>
public sealed record NetpollTelemetryStatus
{
    /// <summary>None when metrics are not exported.</summary>
    public required NetpollMetricsExporter MetricsExporter { get; init; }

    /// <summary>Time between exports; zero when metrics are not exported.</summary>
    public required TimeSpan Interval { get; init; }

    /// <summary>None when engine events are not logged.</summary>
    public required NetpollLogLevel LogLevel { get; init; }

    /// <summary>The AssemblyLoadContext holding OpenTelemetry and Microsoft.Extensions.Logging; empty until first enabled.</summary>
    public required string LoadContext { get; init; }

    /// <summary>The folder the sinks were loaded from; empty until first enabled.</summary>
    public required string SinksPath { get; init; }
}
