using System.Collections;
using System.Management.Automation;
using OpenTelemetry;
using OpenTelemetry.Metrics;

namespace Netpoll.TestModules.MeterProbe;

/// <summary>
/// Measure-NetpollMeter: reads the <c>Netpoll</c> meter once through the OpenTelemetry SDK with its
/// in-memory exporter, and writes one object per metric point: Name, Unit, Type, Attributes, Value.
/// </summary>
[Cmdlet(VerbsDiagnostic.Measure, "NetpollMeter")]
[OutputType(typeof(PSObject))]
public sealed class MeasureNetpollMeterCommand : PSCmdlet
{
    protected override void EndProcessing()
    {
        var exported = new List<MetricSnapshot>();
        List<MetricSnapshot> collected;
        using (MeterProvider provider = Sdk.CreateMeterProviderBuilder()
            .AddMeter("Netpoll")
            .AddInMemoryExporter(exported)
            .Build())
        {
            provider.ForceFlush();
            collected = [.. exported]; // one collection: disposing the provider exports once more
        }

        foreach (MetricSnapshot metric in collected)
        {
            foreach (MetricPoint point in metric.MetricPoints)
            {
                var attributes = new Hashtable(StringComparer.Ordinal);
                foreach (KeyValuePair<string, object?> tag in point.Tags)
                {
                    attributes[tag.Key] = tag.Value;
                }

                var result = new PSObject();
                result.Properties.Add(new PSNoteProperty("Name", metric.Name));
                result.Properties.Add(new PSNoteProperty("Unit", metric.Unit));
                result.Properties.Add(new PSNoteProperty("Type", metric.MetricType.ToString()));
                result.Properties.Add(new PSNoteProperty("Attributes", attributes));
                result.Properties.Add(new PSNoteProperty("Value", Value(metric.MetricType, point)));
                WriteObject(result);
            }
        }
    }

    private static double Value(MetricType type, MetricPoint point) => type switch
    {
        MetricType.LongSum or MetricType.LongSumNonMonotonic => point.GetSumLong(),
        MetricType.DoubleSum or MetricType.DoubleSumNonMonotonic => point.GetSumDouble(),
        MetricType.LongGauge => point.GetGaugeLastValueLong(),
        MetricType.DoubleGauge => point.GetGaugeLastValueDouble(),
        _ => double.NaN,
    };
}
