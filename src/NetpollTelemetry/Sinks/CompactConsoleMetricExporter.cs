using System.Globalization;
using System.Text;
using OpenTelemetry;
using OpenTelemetry.Metrics;

namespace Netpoll.Telemetry;

/// <summary>
/// Prints the <c>Netpoll</c> meter as one line per server (or dialer) per export: its instruments
/// summed over its pollers, with rates since the previous export. OpenTelemetry's own console
/// exporter prints every point of every instrument in a multi-line block (about 60 lines a second for
/// two servers), which buries a console; an export with no server prints nothing.
/// </summary>
internal sealed class CompactConsoleMetricExporter(TextWriter output) : BaseExporter<Metric>
{
    private const string Owner = "netpoll.owner.name";
    private readonly Dictionary<string, (DateTimeOffset At, Totals Values)> _previous = new(StringComparer.Ordinal);

    public override ExportResult Export(in Batch<Metric> batch)
    {
        var owners = new SortedDictionary<string, Totals>(StringComparer.Ordinal);
        foreach (Metric metric in batch)
        {
            foreach (ref readonly MetricPoint point in metric.GetMetricPoints())
            {
                string? owner = null;
                string? detail = null;
                foreach (KeyValuePair<string, object?> tag in point.Tags)
                {
                    if (tag.Key == Owner)
                    {
                        owner = tag.Value as string;
                    }
                    else if (tag.Key is "network.io.direction" or "netpoll.poller.state")
                    {
                        detail = tag.Value as string;
                    }
                }

                if (owner is null)
                {
                    continue;
                }

                if (!owners.TryGetValue(owner, out Totals? totals))
                {
                    owners[owner] = totals = new Totals();
                }

                totals.Add(detail is null ? metric.Name : $"{metric.Name}:{detail}", ValueOf(metric.MetricType, point));
            }
        }

        DateTimeOffset now = DateTimeOffset.Now;
        var text = new StringBuilder();
        foreach ((string owner, Totals totals) in owners)
        {
            (DateTimeOffset At, Totals Values)? before = _previous.TryGetValue(owner, out var b) ? b : null;
            text.Append(Line(now, owner, totals, before)).Append('\n');
            _previous[owner] = (now, totals);
        }

        if (text.Length > 0)
        {
            lock (output)
            {
                output.Write(text.ToString());
                output.Flush();
            }
        }

        return ExportResult.Success;
    }

    private static string Line(DateTimeOffset now, string owner, Totals t, (DateTimeOffset At, Totals Values)? before)
    {
        double seconds = before is { } p ? (now - p.At).TotalSeconds : 0;
        string Rate(string name, Func<double, string> format) =>
            before is { } p && seconds > 0 ? $" ({format(Math.Max(0, t[name] - p.Values[name]) / seconds)}/s)" : "";
        double busy = t["netpoll.poller.time:busy"] - (before?.Values["netpoll.poller.time:busy"] ?? 0);
        double wait = t["netpoll.poller.time:wait"] - (before?.Values["netpoll.poller.time:wait"] ?? 0);
        var c = CultureInfo.InvariantCulture;
        return string.Create(c, $"{now.ToLocalTime():HH:mm:ss} netpoll {owner}: {t["netpoll.connection.active"]:N0} connections ({t["netpoll.connection.paused"]:N0} paused), ") +
            string.Create(c, $"{t["netpoll.connection.accepted"]:N0} accepted{Rate("netpoll.connection.accepted", r => r.ToString("N0", c))}, {t["netpoll.connection.closed"]:N0} closed; ") +
            $"in {Bytes(t["netpoll.io:receive"])}{Rate("netpoll.io:receive", Bytes)}, out {Bytes(t["netpoll.io:transmit"])}{Rate("netpoll.io:transmit", Bytes)}; " +
            string.Create(c, $"{t["netpoll.poller.events"]:N0} events{Rate("netpoll.poller.events", r => r.ToString("N0", c))}; busy {(busy + wait > 0 ? 100 * busy / (busy + wait) : 0):0.0}%; ") +
            string.Create(c, $"buffered {Bytes(t["netpoll.buffer.used"])}; {t["netpoll.timeouts"]:N0} timeouts, {t["netpoll.accept.backoffs"]:N0} accept back-offs, {t["netpoll.flush.waited"]:N0} waited flushes");
    }

    private static string Bytes(double bytes)
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB"];
        int unit = 0;
        while (unit < units.Length - 1 && bytes >= 1024)
        {
            bytes /= 1024;
            unit++;
        }

        return unit == 0 ? string.Create(CultureInfo.InvariantCulture, $"{bytes:0} B") : string.Create(CultureInfo.InvariantCulture, $"{bytes:0.##} {units[unit]}");
    }

    private static double ValueOf(MetricType type, in MetricPoint point) => type switch
    {
        MetricType.LongSum or MetricType.LongSumNonMonotonic => point.GetSumLong(),
        MetricType.DoubleSum or MetricType.DoubleSumNonMonotonic => point.GetSumDouble(),
        MetricType.LongGauge => point.GetGaugeLastValueLong(),
        MetricType.DoubleGauge => point.GetGaugeLastValueDouble(),
        _ => 0,
    };

    /// <summary>One owner's instruments summed over its pollers, by name (and direction or state).</summary>
    private sealed class Totals
    {
        private readonly Dictionary<string, double> _values = new(StringComparer.Ordinal);

        public double this[string name] => _values.TryGetValue(name, out double v) ? v : 0;

        public void Add(string name, double value) => _values[name] = this[name] + value;
    }
}
