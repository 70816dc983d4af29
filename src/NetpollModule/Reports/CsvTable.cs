using System.Management.Automation;
using System.Text;

namespace Netpoll.PowerShell.Reports;

/// <summary>
/// Objects as RFC 4180 CSV: one column per property (in first-seen order), invariant numbers. With no objects, the
/// header row of <c>emptyAs</c>'s properties: a table with its columns and no rows (a 0-byte file has no columns to
/// read, and a script that joins reports expects the same header in each).
/// </summary>
internal static class CsvTable
{
    public static string Render(IReadOnlyList<PSObject> rows, Type emptyAs)
    {
        List<string> columns = rows.Count == 0
            ? [.. emptyAs.GetProperties(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Instance).Where(p => p.CanRead).Select(p => p.Name)]
            : [.. rows.SelectMany(r => r.Properties.Where(p => p.IsGettable).Select(p => p.Name)).Distinct(StringComparer.Ordinal)];
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
