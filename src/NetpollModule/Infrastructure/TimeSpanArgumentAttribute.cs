using System.Globalization;
using System.Management.Automation;

namespace Netpoll.PowerShell;

/// <summary>
/// Lets a TimeSpan parameter take seconds as a number (<c>-Duration 10</c>, <c>-Timeout 2.5</c>) or a
/// TimeSpan string (<c>00:01:00</c>), instead of PowerShell's default of reading a bare number as ticks.
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
            string text when TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out TimeSpan parsed) => parsed,
            _ => throw new ArgumentTransformationMetadataException($"'{value}' is not a duration: give seconds (10, 2.5) or a TimeSpan (00:01:30)."),
        };
    }
}
