using System.Collections;
using System.Globalization;
using System.Management.Automation;
using System.Net;
using System.Text;
using System.Text.Json;
using Netpoll.Load;

namespace Netpoll.PowerShell.Reports;

/// <summary>
/// Export-NetpollReport: writes a connection test's samples as CSV, its summary as JSON, and an HTML
/// page with charts of connections, throughput, latency percentiles and per-poller load over time.
/// Everything is rendered here, so scripts need no Utility cmdlets (the project's host has none).
/// </summary>
[Cmdlet(VerbsData.Export, "NetpollReport")]
[OutputType(typeof(NetpollReport))]
public sealed class ExportNetpollReportCommand : PSCmdlet
{
    /// <summary>The folder to write into (created when missing).</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string? Path { get; set; }

    /// <summary>One object per second: any properties (CSV columns); charts read ElapsedSeconds, Connections, BytesInPerSecond, BytesOutPerSecond, WorkingSetBytes, ManagedBytes when present.</summary>
    [Parameter(Mandatory = true)]
    [AllowEmptyCollection]
    public PSObject[]? Sample { get; set; }

    /// <summary>Per-poller samples (Get-NetpollStats output) for the per-poller load chart.</summary>
    [Parameter]
    [AllowEmptyCollection]
    public NetpollPollerStats[] PollerSample { get; set; } = [];

    /// <summary>The load result; its Timeline gives latency over time.</summary>
    [Parameter]
    public LoadResult? LoadResult { get; set; }

    /// <summary>Facts for summary.json and the page's table (a hashtable or object).</summary>
    [Parameter]
    public PSObject? Summary { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string Title { get; set; } = "Netpoll connection test";

    protected override void EndProcessing()
    {
        string dir = GetUnresolvedProviderPathFromPSPath(Path);
        Directory.CreateDirectory(dir);
        var report = new NetpollReport
        {
            Directory = dir,
            SamplesCsv = System.IO.Path.Combine(dir, "samples.csv"),
            PollersCsv = System.IO.Path.Combine(dir, "pollers.csv"),
            SummaryJson = System.IO.Path.Combine(dir, "summary.json"),
            Html = System.IO.Path.Combine(dir, "report.html"),
        };

        File.WriteAllText(report.SamplesCsv, Csv(Sample!));
        File.WriteAllText(report.PollersCsv, Csv([.. PollerSample.Select(p => PSObject.AsPSObject(p))]));
        Dictionary<string, object?> summary = Facts();
        File.WriteAllText(report.SummaryJson, JsonSerializer.Serialize(summary, new JsonSerializerOptions { WriteIndented = true }));
        File.WriteAllText(report.Html, Html(summary));
        WriteObject(report);
    }

    private Dictionary<string, object?> Facts()
    {
        var facts = new Dictionary<string, object?>(StringComparer.Ordinal);
        object? bag = Summary?.BaseObject;
        if (bag is IDictionary table)
        {
            foreach (DictionaryEntry e in table)
            {
                facts[e.Key.ToString()!] = Plain(e.Value);
            }
        }
        else if (Summary is not null)
        {
            foreach (PSPropertyInfo p in Summary.Properties)
            {
                facts[p.Name] = Plain(p.Value);
            }
        }

        if (LoadResult is { } r)
        {
            facts["Load"] = new Dictionary<string, object?>
            {
                ["Target"] = r.Target,
                ["Pattern"] = r.Pattern.ToString(),
                ["Connections"] = r.ConnectionsRequested,
                ["ConnectionsOpened"] = r.ConnectionsOpened,
                ["PeakConnections"] = r.PeakConnections,
                ["Requests"] = r.Requests,
                ["RequestsPerSecond"] = r.RequestsPerSecond,
                ["ThroughputBytesPerSecond"] = r.ThroughputBytesPerSecond,
                ["LatencyP50Ms"] = r.LatencyP50.TotalMilliseconds,
                ["LatencyP90Ms"] = r.LatencyP90.TotalMilliseconds,
                ["LatencyP99Ms"] = r.LatencyP99.TotalMilliseconds,
                ["LatencyP999Ms"] = r.LatencyP999.TotalMilliseconds,
                ["LatencyMaxMs"] = r.LatencyMax.TotalMilliseconds,
                ["ConnectP99Ms"] = r.ConnectP99.TotalMilliseconds,
                ["ConnectFailures"] = r.ConnectFailures,
                ["Errors"] = r.Errors,
                ["ErrorsByKind"] = r.ErrorsByKind,
                ["StopReason"] = r.StopReason,
            };
        }

        return facts;
    }

    private static object? Plain(object? value) => value switch
    {
        PSObject ps => Plain(ps.BaseObject),
        TimeSpan t => t.TotalSeconds,
        DateTimeOffset d => d.ToString("o", CultureInfo.InvariantCulture),
        DateTime d => d.ToString("o", CultureInfo.InvariantCulture),
        Enum e => e.ToString(),
        string or bool or int or long or double or float or decimal or null => value,
        IDictionary d => d.Cast<DictionaryEntry>().ToDictionary(e => e.Key.ToString()!, e => Plain(e.Value)),
        IEnumerable list => list.Cast<object?>().Select(Plain).ToList(),
        _ => value.ToString(),
    };

    private static string Csv(IReadOnlyList<PSObject> rows)
    {
        if (rows.Count == 0)
        {
            return "";
        }

        string[] columns = [.. rows[0].Properties.Where(p => p.IsGettable).Select(p => p.Name)];
        var text = new StringBuilder(string.Join(',', columns.Select(Quote))).Append('\n');
        foreach (PSObject row in rows)
        {
            text.Append(string.Join(',', columns.Select(c => Quote(Cell(row.Properties[c]?.Value))))).Append('\n');
        }

        return text.ToString();
    }

    private static string Cell(object? value) => Plain(value) switch
    {
        null => "",
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        var other => other.ToString() ?? "",
    };

    private static string Quote(string text) => text.IndexOfAny([',', '"', '\n']) >= 0 ? $"\"{text.Replace("\"", "\"\"", StringComparison.Ordinal)}\"" : text;

    private string Html(Dictionary<string, object?> facts)
    {
        double X(PSObject s) => Number(s, "ElapsedSeconds");
        List<SvgLineChart.Series> connections = [new("server connections", [.. Sample!.Select(s => (X(s), Number(s, "Connections")))])];
        if (LoadResult is { } r)
        {
            connections.Add(new("client open", [.. r.Timeline.Select(t => (t.Elapsed.TotalSeconds, (double)t.ConnectionsOpen))]));
        }

        var charts = new List<string>
        {
            SvgLineChart.Render("Connections", "seconds", "connections", connections),
            SvgLineChart.Render("Throughput", "seconds", "MiB/s", [
                new("in", [.. Sample!.Select(s => (X(s), Number(s, "BytesInPerSecond") / 1048576))]),
                new("out", [.. Sample!.Select(s => (X(s), Number(s, "BytesOutPerSecond") / 1048576))])]),
        };
        if (LoadResult is { } load)
        {
            charts.Add(SvgLineChart.Render("Latency per second (client)", "seconds", "ms", [
                new("p50", [.. load.Timeline.Where(t => t.LatencyP50 > TimeSpan.Zero).Select(t => (t.Elapsed.TotalSeconds, t.LatencyP50.TotalMilliseconds))]),
                new("p99", [.. load.Timeline.Where(t => t.LatencyP99 > TimeSpan.Zero).Select(t => (t.Elapsed.TotalSeconds, t.LatencyP99.TotalMilliseconds))]),
                new("requests/s ÷ 1000", [.. load.Timeline.Select(t => (t.Elapsed.TotalSeconds, t.RequestsPerSecond / 1000))])]));
        }

        if (PollerSample.Length > 0)
        {
            DateTimeOffset start = PollerSample.Min(p => p.Timestamp);
            charts.Add(SvgLineChart.Render("Per-poller load", "seconds", "busy %", [..
                PollerSample.GroupBy(p => p.PollerId).OrderBy(g => g.Key).Select(g => new SvgLineChart.Series($"poller {g.Key}", [.. g.Select(p => ((p.Timestamp - start).TotalSeconds, p.BusyPercent))]))]));
            charts.Add(SvgLineChart.Render("Connections per poller", "seconds", "connections", [..
                PollerSample.GroupBy(p => p.PollerId).OrderBy(g => g.Key).Select(g => new SvgLineChart.Series($"poller {g.Key}", [.. g.Select(p => ((p.Timestamp - start).TotalSeconds, (double)p.Connections))]))]));
        }

        if (Sample!.Length > 0 && Sample[0].Properties["WorkingSetBytes"] is not null)
        {
            charts.Add(SvgLineChart.Render("Server memory", "seconds", "MiB", [
                new("working set", [.. Sample!.Select(s => (X(s), Number(s, "WorkingSetBytes") / 1048576))]),
                new("managed heap", [.. Sample!.Select(s => (X(s), Number(s, "ManagedBytes") / 1048576))])]));
        }

        var html = new StringBuilder();
        html.Append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>").Append(WebUtility.HtmlEncode(Title)).Append("</title>");
        html.Append("<style>body{font-family:system-ui,sans-serif;margin:24px;color:#222}table{border-collapse:collapse;margin-bottom:24px}td,th{border:1px solid #ddd;padding:4px 10px;text-align:left}th{background:#f4f4f4}.charts{display:flex;flex-wrap:wrap;gap:16px}</style></head><body>");
        html.Append("<h1>").Append(WebUtility.HtmlEncode(Title)).Append("</h1><table><tr><th>Fact</th><th>Value</th></tr>");
        foreach ((string key, string value) in Flatten(facts))
        {
            html.Append("<tr><td>").Append(WebUtility.HtmlEncode(key)).Append("</td><td>").Append(WebUtility.HtmlEncode(value)).Append("</td></tr>");
        }

        html.Append("</table><div class=\"charts\">");
        charts.ForEach(c => html.Append("<div>").Append(c).Append("</div>"));
        html.Append("</div><p>Raw data: samples.csv, pollers.csv, summary.json.</p></body></html>");
        return html.ToString();
    }

    private static IEnumerable<(string, string)> Flatten(Dictionary<string, object?> facts, string prefix = "")
    {
        foreach ((string key, object? value) in facts)
        {
            if (value is Dictionary<string, object?> nested)
            {
                foreach ((string k, string v) in Flatten(nested, prefix + key + "."))
                {
                    yield return (k, v);
                }
            }
            else
            {
                yield return (prefix + key, value switch
                {
                    double d => d.ToString("#,0.###", CultureInfo.InvariantCulture),
                    IEnumerable e and not string => string.Join(", ", e.Cast<object?>()),
                    null => "",
                    _ => Convert.ToString(value, CultureInfo.InvariantCulture) ?? "",
                });
            }
        }
    }

    private static double Number(PSObject row, string name) =>
        row.Properties[name]?.Value is { } v && double.TryParse(Convert.ToString(v is PSObject p ? p.BaseObject : v, CultureInfo.InvariantCulture), NumberStyles.Float, CultureInfo.InvariantCulture, out double d) ? d : double.NaN;
}
