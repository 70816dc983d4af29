using System.Globalization;
using System.Management.Automation;

namespace Netpoll.PowerShell;

/// <summary>
/// Lets a TimeSpan parameter take a bare number (<c>-Duration 10</c>, <c>-Timeout 2.5</c>: seconds, unless
/// <see cref="BareNumberSeconds"/> says otherwise), a number with a unit (<c>200ms</c>, <c>1.5s</c>, <c>250us</c>,
/// <c>2m</c>, <c>1h</c>) or a TimeSpan string (<c>00:01:00</c>), instead of PowerShell's default of
/// reading a bare number as ticks.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
public sealed class TimeSpanArgumentAttribute : ArgumentTransformationAttribute
{
    /// <summary>
    /// What a bare number counts, in seconds: 1 (the default) for the module's own durations; 0.001 for a toxic's
    /// latency, jitter or timeout, which toxiproxy gives in milliseconds; 0.000001 for the slicer's delay (microseconds).
    /// </summary>
    public double BareNumberSeconds { get; set; } = 1;

    /// <summary>The parameter this converts for, when known: how an unquoted 1.5s was written is looked up by it (<see cref="SuffixedNumberSource"/>).</summary>
    public string? ParameterName { get; set; }

    public override object Transform(EngineIntrinsics engineIntrinsics, object inputData)
    {
        object value = inputData is PSObject ps ? ps.BaseObject : inputData;
        return value switch
        {
            null => TimeSpan.Zero,
            TimeSpan span => span,
            // PowerShell reads 3s as a [short] and 250us as a [ushort] (its type suffixes) before this sees them: they are
            // those units, whatever a bare number means. An unquoted fraction (1.5s) arrives rounded (2): what was
            // written is read from the statement when it can be found there.
            short or ushort when SuffixedNumberSource.Find(value, ParameterName) is { } written && WithUnit(written) is { } span => span,
            short seconds => TimeSpan.FromSeconds(seconds),
            ushort microseconds => TimeSpan.FromMicroseconds(microseconds),
            // PowerShell's other type suffixes are no units: an unquoted 2d (days, a reader would think) arrives as the
            // [decimal] 2, 5l as a [long], 3u as a [uint]. Written so on the command line, it is refused as the quoted '2d'
            // is, not read as that many seconds; through a variable, nothing says how it was written, so it is a number.
            decimal or long or uint or ulong or sbyte or byte when SuffixedNumberSource.Find(value, ParameterName) is { } written && IsTypeSuffixed(value, written) =>
                throw new ArgumentTransformationMetadataException($"'{written}' is not a duration (PowerShell reads it as the [{value.GetType().Name}] {value}): give {BareNumberHint(BareNumberSeconds)}, a number with a unit (200ms, 1.5s, 250us, 2m, 1h) or a TimeSpan (00:01:30)."),
            int or long or byte or uint or ulong or sbyte or double or float or decimal => Bare(Convert.ToDouble(value, CultureInfo.InvariantCulture)),
            string text when double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double amount) => Bare(amount),
            string text when WithUnit(text) is { } span => span,
            string text when TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out TimeSpan parsed) => parsed,
            _ => throw new ArgumentTransformationMetadataException($"'{value}' is not a duration: give {BareNumberHint(BareNumberSeconds)}, a number with a unit (200ms, 1.5s, 250us, 2m, 1h) or a TimeSpan (00:01:30)."),
        };
    }

    /// <summary>
    /// Whether <paramref name="written"/>, the literal that became <paramref name="value"/>, ends in one of PowerShell's
    /// type suffixes: d for a [decimal]; l, u, ul, y or uy for the integer types (no hex digit, so 0xFFFFFFFFFD, a [long],
    /// is not taken for one).
    /// </summary>
    private static bool IsTypeSuffixed(object value, string written) =>
        written.Length > 0 && (value is decimal ? char.ToLowerInvariant(written[^1]) == 'd' : char.ToLowerInvariant(written[^1]) is 'l' or 'u' or 'y');

    /// <summary>How a bare number reads, for messages: "seconds (10, 2.5)", "milliseconds (50, 2.5)".</summary>
    internal static string BareNumberHint(double bareNumberSeconds) => bareNumberSeconds switch
    {
        1 => "seconds (10, 2.5)",
        1e-3 => "milliseconds (50, 2.5)",
        1e-6 => "microseconds (250)",
        _ => string.Create(CultureInfo.InvariantCulture, $"a number of {bareNumberSeconds} s units"),
    };

    private TimeSpan Bare(double amount) => Scaled(amount, BareNumberSeconds) ??
        throw new ArgumentTransformationMetadataException(string.Create(CultureInfo.InvariantCulture, $"'{amount}' is not a duration this parameter can hold."));

    private static TimeSpan? Scaled(double amount, double scale)
    {
        double ticks = Math.Round(amount * scale * TimeSpan.TicksPerSecond);
        return double.IsFinite(ticks) && Math.Abs(ticks) <= TimeSpan.MaxValue.Ticks ? TimeSpan.FromTicks((long)ticks) : null;
    }

    /// <summary>A number followed by us, ms, s, m or h; null when the text is not one.</summary>
    private static TimeSpan? WithUnit(string text)
    {
        (string Suffix, double Scale)[] units = [("us", 1e-6), ("µs", 1e-6), ("ms", 1e-3), ("s", 1), ("m", 60), ("h", 3600)];
        foreach ((string suffix, double scale) in units)
        {
            if (text.EndsWith(suffix, StringComparison.OrdinalIgnoreCase) &&
                double.TryParse(text.AsSpan(0, text.Length - suffix.Length), NumberStyles.Float, CultureInfo.InvariantCulture, out double amount))
            {
                return Scaled(amount, scale);
            }
        }

        return null;
    }
}
