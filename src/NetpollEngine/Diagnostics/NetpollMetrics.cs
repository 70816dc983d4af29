namespace Netpoll.Diagnostics;

/// <summary>The engine's meter, for listeners: every server and dialer publishes its instruments under this name.</summary>
public static class NetpollMetrics
{
    /// <summary>The meter's name, to subscribe with (MeterListener, OpenTelemetry AddMeter, dotnet-counters).</summary>
    public const string MeterName = "Netpoll";
}
