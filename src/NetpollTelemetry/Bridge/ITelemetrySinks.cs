namespace Netpoll.Telemetry;

/// <summary>
/// Starts the telemetry sinks. Implemented by Netpoll.Telemetry.Sinks, which the module loads with
/// OpenTelemetry and Microsoft.Extensions.Logging into their own AssemblyLoadContext; only this
/// interface and BCL types cross between the two contexts, so no third-party type ever meets another
/// module's copy of it.
/// </summary>
public interface ITelemetrySinks
{
    /// <summary>
    /// Exports the <c>Netpoll</c> meter every <paramref name="interval"/>. Disposing the result stops
    /// the export (after one last one), ends its thread and detaches its meter listener.
    /// </summary>
    IDisposable StartMetrics(NetpollMetricsExporter exporter, TimeSpan interval);

    /// <summary>
    /// Logs the engine's events at <paramref name="minimumLevel"/> and above through
    /// Microsoft.Extensions.Logging.Console, to the process console, or formatted the same way to
    /// <paramref name="output"/> when one is given (hosts without a console, tests). Disposing the
    /// result detaches the event listener, flushes what is queued and ends the logger's thread.
    /// </summary>
    IDisposable StartLogging(NetpollLogLevel minimumLevel, TextWriter? output);
}
