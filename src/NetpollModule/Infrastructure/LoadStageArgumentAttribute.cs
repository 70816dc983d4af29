using System.Collections;
using System.Globalization;
using System.Management.Automation;
using Netpoll.Load;

namespace Netpoll.PowerShell;

/// <summary>
/// Lets -Stage take hashtables as k6 writes stages: <c>@{ Duration = '30s'; Rate = 1000 }</c> (Target is taken
/// for Rate; the duration is seconds, a TimeSpan, or a number with a unit such as 30s or 2m).
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
public sealed class LoadStageArgumentAttribute : ArgumentTransformationAttribute
{
    private const string Expected = "Give each stage as @{ Duration = '30s'; Rate = 1000 }: a duration (seconds, a TimeSpan, or 30s, 2m, ...) and the requests per second to reach by its end.";

    public override object Transform(EngineIntrinsics engineIntrinsics, object inputData)
    {
        object? value = inputData is PSObject ps ? ps.BaseObject : inputData;
        IEnumerable<object?> items = value is IEnumerable list and not IDictionary and not string ? list.Cast<object?>() : [value];
        return items.Select(ToStage).ToArray();
    }

    private static LoadStage ToStage(object? item)
    {
        object? value = item is PSObject ps ? ps.BaseObject : item;
        if (value is LoadStage stage)
        {
            return stage;
        }

        if (value is not IDictionary table)
        {
            throw new ArgumentTransformationMetadataException($"'{value}' is not a stage. {Expected}");
        }

        object? duration = Entry(table, "Duration");
        object? rate = Entry(table, "Rate") ?? Entry(table, "Target");
        string[] unknown = [.. table.Keys.Cast<object>().Select(k => k.ToString() ?? "").Where(k => k is not ("Duration" or "Rate" or "Target") && !k.Equals("Duration", StringComparison.OrdinalIgnoreCase) && !k.Equals("Rate", StringComparison.OrdinalIgnoreCase) && !k.Equals("Target", StringComparison.OrdinalIgnoreCase))];
        if (duration is null || rate is null || unknown.Length > 0)
        {
            throw new ArgumentTransformationMetadataException($"A stage has {(unknown.Length > 0 ? $"unknown keys ({string.Join(", ", unknown)})" : "no " + (duration is null ? "Duration" : "Rate"))}. {Expected}");
        }

        if (!LanguagePrimitives.TryConvertTo(rate, CultureInfo.InvariantCulture, out double perSecond))
        {
            throw new ArgumentTransformationMetadataException($"A stage's rate '{rate}' is not a number. {Expected}");
        }

        TimeSpan length = ToDuration(duration);
        if (length <= TimeSpan.Zero || length > TimeSpan.FromDays(1) || double.IsNaN(perSecond) || perSecond is < 0 or > LoadOptions.MaxRate)
        {
            throw new ArgumentTransformationMetadataException($"A stage lasts more than zero and at most a day, and ends at a rate from 0 to {LoadOptions.MaxRate:N0} per second; got {length.TotalSeconds} s and {perSecond}/s. {Expected}");
        }

        return new LoadStage(length, perSecond);
    }

    private static TimeSpan ToDuration(object value) => (value is PSObject ps ? ps.BaseObject : value) switch
    {
        TimeSpan span => span,
        string text when LoadDuration.TryParse(text, out TimeSpan parsed) => parsed,
        object number when LanguagePrimitives.TryConvertTo(number, CultureInfo.InvariantCulture, out double seconds) && double.IsFinite(seconds) => TimeSpan.FromSeconds(seconds),
        object other => throw new ArgumentTransformationMetadataException($"A stage's duration '{other}' is not a duration. {Expected}"),
    };

    private static object? Entry(IDictionary table, string key) =>
        table.Keys.Cast<object>().FirstOrDefault(k => string.Equals(k.ToString(), key, StringComparison.OrdinalIgnoreCase)) is { } found ? table[found] : null;
}
