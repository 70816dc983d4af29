using Netpoll.Diagnostics;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;

namespace Netpoll.Telemetry;

/// <summary>
/// The <c>Netpoll</c> meter exported to the console on OpenTelemetry's periodic reader, one line per
/// server per export (<see cref="CompactConsoleMetricExporter"/>). The instruments are observable, so
/// the pollers are read only on the reader's own thread at each export.
/// </summary>
internal sealed class ConsoleMetricsExport : IDisposable
{
    private readonly MeterProvider _provider;

    public ConsoleMetricsExport(TimeSpan interval)
    {
        if (interval < TimeSpan.FromMilliseconds(100) || interval.TotalMilliseconds > int.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(interval), interval, "The export interval must be at least 100 ms.");
        }

        _provider = Sdk.CreateMeterProviderBuilder()
            .ConfigureResource(resource => resource.AddService("netpoll", serviceVersion: typeof(NetpollDiagnostics).Assembly.GetName().Version?.ToString()))
            .AddMeter(NetpollDiagnostics.MeterName)
            .AddReader(new PeriodicExportingMetricReader(new CompactConsoleMetricExporter(Console.Out), (int)interval.TotalMilliseconds)
            {
                TemporalityPreference = MetricReaderTemporalityPreference.Cumulative,
            })
            .Build();
    }

    /// <summary>Exports once more, then stops the reader's thread and detaches from the meter.</summary>
    public void Dispose() => _provider.Dispose();
}
