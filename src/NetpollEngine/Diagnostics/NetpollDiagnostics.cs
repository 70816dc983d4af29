namespace Netpoll.Diagnostics;

/// <summary>
/// The names to listen to the engine by. The meter and the EventSource themselves stay internal (as the
/// runtime keeps its EventSources): listeners subscribe by name, and only the engine can emit.
/// </summary>
public static class NetpollDiagnostics
{
    /// <summary>The meter every server and dialer publishes its instruments under (MeterListener, OpenTelemetry AddMeter, dotnet-counters).</summary>
    public const string MeterName = "Netpoll";

    /// <summary>The EventSource of the engine's rare events (EventListener, dotnet-trace).</summary>
    public const string EventSourceName = "Netpoll-Engine";
}
