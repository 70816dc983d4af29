using System.Globalization;
using System.Management.Automation;

namespace Netpoll.PowerShell;

/// <summary>
/// Lets a TimeSpan parameter take seconds as a number (<c>-Duration 10</c>, <c>-Timeout 2.5</c>), a number
/// with a unit (<c>200ms</c>, <c>1.5s</c>, <c>250us</c>, <c>2m</c>, <c>1h</c>) or a TimeSpan string
/// (<c>00:01:00</c>), instead of PowerShell's default of reading a bare number as ticks.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
public sealed class TimeSpanArgumentAttribute : ArgumentTransformationAttribute
{
    public override object Transform(EngineIntrinsics engineIntrinsics, object inputData)
    {
        object value = inputData is PSObject ps ? ps.BaseObject : inputData;
        return value switch
        {
            null => TimeSpan.Zero,
            TimeSpan span => span,
            int or long or short or byte or uint or ulong or ushort or sbyte => TimeSpan.FromSeconds(Convert.ToDouble(value, CultureInfo.InvariantCulture)),
            double or float or decimal => TimeSpan.FromSeconds(Convert.ToDouble(value, CultureInfo.InvariantCulture)),
            string text when double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double seconds) => TimeSpan.FromSeconds(seconds),
            string text when WithUnit(text) is { } span => span,
            string text when TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out TimeSpan parsed) => parsed,
            _ => throw new ArgumentTransformationMetadataException($"'{value}' is not a duration: give seconds (10, 2.5), a number with a unit (200ms, 1.5s, 250us, 2m, 1h) or a TimeSpan (00:01:30)."),
        };
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
                return TimeSpan.FromTicks((long)Math.Round(amount * scale * TimeSpan.TicksPerSecond));
            }
        }

        return null;
    }
}
