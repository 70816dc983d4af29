using System.Collections;
using System.Globalization;
using System.Management.Automation;

namespace Netpoll.PowerShell.Reports;

/// <summary>Reads numbers out of arbitrary sample objects and turns values into plain JSON/CSV values.</summary>
internal static class ReportValues
{
    public static object? Base(object? value) => value is PSObject ps ? ps.BaseObject : value;

    /// <summary>The named property as a number, or NaN when it is missing or not numeric.</summary>
    public static double Number(PSObject row, string name) =>
        Base(row.Properties[name]?.Value) is { } v &&
        double.TryParse(Convert.ToString(v, CultureInfo.InvariantCulture), NumberStyles.Float, CultureInfo.InvariantCulture, out double d) ? d : double.NaN;

    /// <summary>A value as JSON-friendly data: TimeSpans in seconds, times as ISO 8601, enums as names.</summary>
    public static object? Plain(object? value) => value switch
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

    /// <summary>A CSV cell: invariant numbers, seconds for durations, the value's text otherwise.</summary>
    public static string Cell(object? value) => Plain(value) switch
    {
        null => "",
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        IEnumerable<object?> list => string.Join(' ', list),
        var other => other.ToString() ?? "",
    };
}
