using System.Management.Automation;
using System.Text;

namespace Netpoll.PowerShell.Reports;

/// <summary>Objects as RFC 4180 CSV: one column per property (in first-seen order), invariant numbers.</summary>
internal static class CsvTable
{
    public static string Render(IReadOnlyList<PSObject> rows)
    {
        if (rows.Count == 0)
        {
            return "";
        }

        List<string> columns = [.. rows.SelectMany(r => r.Properties.Where(p => p.IsGettable).Select(p => p.Name)).Distinct(StringComparer.Ordinal)];
        var text = new StringBuilder(string.Join(',', columns.Select(Quote))).Append('\n');
        foreach (PSObject row in rows)
        {
            text.Append(string.Join(',', columns.Select(c => Quote(ReportValues.Cell(row.Properties[c]?.Value))))).Append('\n');
        }

        return text.ToString();
    }

    private static string Quote(string text) =>
        text.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? $"\"{text.Replace("\"", "\"\"", StringComparison.Ordinal)}\"" : text;
}
