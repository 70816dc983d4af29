namespace Netpoll.Telemetry;

/// <summary>
/// The sinks' entry point. The module creates it by name inside the telemetry AssemblyLoadContext and
/// talks to it only through <see cref="ITelemetrySinks"/>.
/// </summary>
public sealed class TelemetrySinks : ITelemetrySinks
{
    public IDisposable StartMetrics(NetpollMetricsExporter exporter, TimeSpan interval) => exporter switch
    {
        NetpollMetricsExporter.Console => new ConsoleMetricsExport(interval),
        _ => throw new ArgumentOutOfRangeException(nameof(exporter), exporter, "Only the Console exporter starts an export; None means no export."),
    };

    public IDisposable StartLogging(NetpollLogLevel minimumLevel, TextWriter? output)
    {
        if (minimumLevel == NetpollLogLevel.None)
        {
            throw new ArgumentOutOfRangeException(nameof(minimumLevel), minimumLevel, "None means no logging; there is nothing to start.");
        }

        return new EngineEventLogging(minimumLevel, output);
    }
}
