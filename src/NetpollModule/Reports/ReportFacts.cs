using System.Collections;
using System.Globalization;
using System.Management.Automation;
using Netpoll.Load;

namespace Netpoll.PowerShell.Reports;

/// <summary>The facts of summary.json and the page's table: the caller's summary, then the load result's numbers.</summary>
internal static class ReportFacts
{
    public static Dictionary<string, object?> Of(ReportData data, ReportClock clock)
    {
        var facts = new Dictionary<string, object?>(StringComparer.Ordinal);
        if (data.Summary?.BaseObject is IDictionary table)
        {
            foreach (DictionaryEntry e in table)
            {
                facts[e.Key.ToString()!] = ReportValues.Plain(e.Value);
            }
        }
        else if (data.Summary is not null)
        {
            foreach (PSPropertyInfo p in data.Summary.Properties)
            {
                facts[p.Name] = ReportValues.Plain(p.Value);
            }
        }

        if (clock.HasWallClock)
        {
            facts["ChartsStart"] = clock.Origin.ToString("o", CultureInfo.InvariantCulture);
        }

        if (data.Load is { } r)
        {
            facts["Load"] = new Dictionary<string, object?>
            {
                ["Target"] = r.Target,
                ["Pattern"] = r.Pattern.ToString(),
                ["Backend"] = r.Backend?.ToString(), // the generator's kernel API: part of what was measured
                ["BackendReason"] = r.BackendReason,
                ["StartTime"] = r.StartTime.ToString("o", CultureInfo.InvariantCulture),
                ["ElapsedSeconds"] = r.ElapsedSeconds,
                ["Connections"] = r.ConnectionsRequested,
                ["ConnectionsOpened"] = r.ConnectionsOpened,
                ["PeakConnections"] = r.PeakConnections,
                ["Requests"] = r.Requests,
                ["RequestsFailed"] = r.RequestsFailed,
                ["RequestsInFlightAtStop"] = r.RequestsInFlightAtStop,
                ["RequestsRetried"] = r.RequestsRetried,
                ["RequestsPerSecond"] = r.RequestsPerSecond,
                ["ThroughputBytesPerSecond"] = r.ThroughputBytesPerSecond,
                ["LatencyP50Ms"] = r.LatencyP50Ms,
                ["LatencyP90Ms"] = r.LatencyP90Ms,
                ["LatencyP99Ms"] = r.LatencyP99Ms,
                ["LatencyP999Ms"] = r.LatencyP999Ms,
                ["LatencyMaxMs"] = r.LatencyMaxMs,
                ["ConnectP99Ms"] = r.ConnectP99Ms,
                ["ConnectFailures"] = r.ConnectFailures,
                ["Errors"] = r.Errors,
                ["ErrorsByKind"] = r.ErrorsByKind.Occurred().ToDictionary(e => e.Kind.ToString(), e => (object?)e.Count),
                ["StopReason"] = r.StopReason,
            };
        }

        return facts;
    }

    /// <summary>Nested facts as "Load.Requests" rows, numbers with thousands separators.</summary>
    public static IEnumerable<(string Key, string Value)> Flatten(Dictionary<string, object?> facts, string prefix = "")
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
                    double d => d.ToString("N3", CultureInfo.InvariantCulture), // the list view's rounding (a custom "0.###" rounds 15 digits first)
                    long or int => Convert.ToInt64(value, CultureInfo.InvariantCulture).ToString("#,0", CultureInfo.InvariantCulture),
                    IEnumerable e and not string => string.Join(", ", e.Cast<object?>()),
                    null => "(none)",
                    _ => Convert.ToString(value, CultureInfo.InvariantCulture) ?? "",
                });
            }
        }
    }
}
