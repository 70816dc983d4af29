namespace Netpoll.Telemetry;

/// <summary>Where the <c>Netpoll</c> meter is exported (-MetricsExporter).</summary>
public enum NetpollMetricsExporter
{
    /// <summary>No export.</summary>
    None = 0,

    /// <summary>OpenTelemetry's console exporter, to the process's standard output.</summary>
    Console = 1,
}
