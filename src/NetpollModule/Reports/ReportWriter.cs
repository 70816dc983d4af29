using System.Management.Automation;
using System.Text.Json;

namespace Netpoll.PowerShell.Reports;

/// <summary>Writes a report's four files into a folder: samples.csv, pollers.csv, summary.json, report.html.</summary>
internal static class ReportWriter
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    public static readonly string[] FileNames = ["samples.csv", "pollers.csv", "summary.json", "report.html"];

    public static NetpollReport Write(ReportData data, string directory)
    {
        Directory.CreateDirectory(directory);
        var report = new NetpollReport
        {
            Directory = directory,
            SamplesCsv = Path.Combine(directory, FileNames[0]),
            PollersCsv = Path.Combine(directory, FileNames[1]),
            SummaryJson = Path.Combine(directory, FileNames[2]),
            Html = Path.Combine(directory, FileNames[3]),
        };

        var clock = new ReportClock(data);
        Dictionary<string, object?> facts = ReportFacts.Of(data, clock);
        // With none given, each still has its header: samples as Get-NetpollStats -Aggregate writes them, pollers as Get-NetpollStats.
        File.WriteAllText(report.SamplesCsv, CsvTable.Render(data.Samples, typeof(NetpollServerStats)));
        File.WriteAllText(report.PollersCsv, CsvTable.Render([.. data.PollerSamples.Select(PSObject.AsPSObject)], typeof(NetpollPollerStats)));
        File.WriteAllText(report.SummaryJson, JsonSerializer.Serialize(facts, Json));
        File.WriteAllText(report.Html, HtmlReport.Render(data, clock, facts));
        return report;
    }
}
