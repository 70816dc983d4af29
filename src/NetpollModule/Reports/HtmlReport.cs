using System.Globalization;
using System.Management.Automation;
using System.Net;
using System.Text;

namespace Netpoll.PowerShell.Reports;

/// <summary>
/// report.html: the facts table, then every chart on one clock and one x-range, each with its unit
/// on its own axis (bytes scaled to B/KiB/MiB/GiB per second, latency in milliseconds).
/// </summary>
internal static class HtmlReport
{
    public static string Render(ReportData data, ReportClock clock, Dictionary<string, object?> facts)
    {
        List<(string Title, string YLabel, List<SvgLineChart.Series> Series)> charts = Charts(data, clock);
        double[] xs = [.. charts.SelectMany(c => c.Series).SelectMany(s => s.Points).Select(p => p.X).Where(double.IsFinite)];
        (double, double) xRange = xs.Length == 0 ? (0, 1) : (Math.Min(0, xs.Min()), xs.Max());

        var html = new StringBuilder();
        string title = WebUtility.HtmlEncode(data.Title);
        html.Append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>").Append(title).Append("</title>");
        html.Append("<style>body{font-family:system-ui,sans-serif;margin:24px;color:#222}table{border-collapse:collapse;margin-bottom:16px}td,th{border:1px solid #ddd;padding:4px 10px;text-align:left}th{background:#f4f4f4}.charts{display:flex;flex-wrap:wrap;gap:16px}.note{color:#555}</style></head><body>");
        html.Append("<h1>").Append(title).Append("</h1><table><tr><th>Fact</th><th>Value</th></tr>");
        foreach ((string key, string value) in ReportFacts.Flatten(facts))
        {
            html.Append("<tr><td>").Append(WebUtility.HtmlEncode(key)).Append("</td><td>").Append(WebUtility.HtmlEncode(value)).Append("</td></tr>");
        }

        html.Append("</table><p class=\"note\">").Append(WebUtility.HtmlEncode(clock.HasWallClock
            ? $"Every chart shares one clock: seconds since {clock.Origin.ToString("yyyy-MM-dd HH:mm:ss.fff zzz", CultureInfo.InvariantCulture)}."
            : "Every chart shares one clock: seconds as the samples' ElapsedSeconds.")).Append("</p><div class=\"charts\">");
        foreach ((string chartTitle, string yLabel, List<SvgLineChart.Series> series) in charts)
        {
            html.Append("<div>").Append(SvgLineChart.Render(chartTitle, xRange, yLabel, series)).Append("</div>");
        }

        html.Append("</div><p class=\"note\">Raw data: samples.csv, pollers.csv, summary.json.</p></body></html>");
        return html.ToString();
    }

    private static List<(string, string, List<SvgLineChart.Series>)> Charts(ReportData data, ReportClock clock)
    {
        IReadOnlyList<PSObject> samples = data.Samples;
        List<(double X, PSObject Row)> rows = [.. samples.Select(s => (clock.At(s), s)).OrderBy(r => r.Item1)];
        List<(double, double)> Line(string property, double divisor = 1) =>
            [.. rows.Select(r => (r.X, ReportValues.Number(r.Row, property) / divisor)).Where(p => double.IsFinite(p.Item2))];
        bool Has(string property) => samples.Any(s => s.Properties[property] is not null);

        var charts = new List<(string, string, List<SvgLineChart.Series>)>();
        var connections = new List<SvgLineChart.Series>();
        if (Has("Connections"))
        {
            connections.Add(new("server connections", Line("Connections")));
        }

        if (data.Load is { } load)
        {
            connections.Add(new("client open", [.. load.Timeline.Select(t => (clock.At(t), (double)t.ConnectionsOpen))]));
        }

        charts.Add(("Connections", "connections", connections));
        if (Has("BytesInPerSecond") || Has("BytesOutPerSecond"))
        {
            double largest = rows.SelectMany(r => new[] { ReportValues.Number(r.Row, "BytesInPerSecond"), ReportValues.Number(r.Row, "BytesOutPerSecond") }).Where(double.IsFinite).DefaultIfEmpty(0).Max();
            (double divisor, string unit) = ByteUnits.ScaleFor(largest);
            charts.Add(("Server throughput", unit + "/s", [new("in (received)", Line("BytesInPerSecond", divisor)), new("out (sent)", Line("BytesOutPerSecond", divisor))]));
        }

        if (data.Load is { } run)
        {
            charts.Add(("Requests per second (client)", "requests/s", [new("completed", [.. run.Timeline.Select(t => (clock.At(t), t.RequestsPerSecond))])]));
            charts.Add(("Latency per interval (client)", "ms", [
                new("p50", [.. run.Timeline.Where(t => t.LatencyP50Ms is not null).Select(t => (clock.At(t), t.LatencyP50Ms!.Value))]),
                new("p99", [.. run.Timeline.Where(t => t.LatencyP99Ms is not null).Select(t => (clock.At(t), t.LatencyP99Ms!.Value))])]));
        }

        if (data.PollerSamples.Count > 0)
        {
            bool severalServers = data.PollerSamples.Select(p => p.ServerName).Distinct(StringComparer.Ordinal).Count() > 1;
            var byPoller = data.PollerSamples.GroupBy(p => (p.ServerName, p.PollerId)).OrderBy(g => g.Key.ServerName, StringComparer.Ordinal).ThenBy(g => g.Key.PollerId).ToList();
            string Name((string Server, int Id) key) => severalServers ? $"{key.Server} poller {key.Id}" : $"poller {key.Id}";
            charts.Add(("Per-poller load", "busy %", [.. byPoller.Select(g => new SvgLineChart.Series(Name(g.Key), [.. g.OrderBy(p => p.Timestamp).Select(p => (clock.At(p.Timestamp), p.BusyPercent))]))]));
            charts.Add(("Connections per poller", "connections", [.. byPoller.Select(g => new SvgLineChart.Series(Name(g.Key), [.. g.OrderBy(p => p.Timestamp).Select(p => (clock.At(p.Timestamp), (double)p.Connections))]))]));
        }

        if (Has("WorkingSetBytes"))
        {
            double largest = rows.Select(r => ReportValues.Number(r.Row, "WorkingSetBytes")).Where(double.IsFinite).DefaultIfEmpty(0).Max();
            (double divisor, string unit) = ByteUnits.ScaleFor(largest);
            charts.Add(("Server memory", unit, [new("working set", Line("WorkingSetBytes", divisor)), new("managed heap", Line("ManagedBytes", divisor))]));
        }

        return charts;
    }
}
