using System.Globalization;
using System.Management.Automation;

namespace Netpoll.PowerShell;

/// <summary>Rejects durations outside [<see cref="MinSeconds"/>, <see cref="MaxSeconds"/>] at parameter binding, saying what is allowed.</summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
public sealed class ValidateTimeSpanRangeAttribute : ValidateArgumentsAttribute
{
    /// <summary>The shortest duration allowed; 0 (the default) means zero is allowed and means off.</summary>
    public double MinSeconds { get; set; }

    public double MaxSeconds { get; set; } = TimeSpan.FromDays(24).TotalSeconds;

    /// <summary>What a bare number counts, in seconds, as the parameter's <see cref="TimeSpanArgumentAttribute.BareNumberSeconds"/>: for the message.</summary>
    public double BareNumberSeconds { get; set; } = 1;

    protected override void Validate(object arguments, EngineIntrinsics engineIntrinsics)
    {
        object value = arguments is PSObject ps ? ps.BaseObject : arguments;
        if (value is TimeSpan span && (span < TimeSpan.FromSeconds(MinSeconds) || span < TimeSpan.Zero || span.TotalSeconds > MaxSeconds))
        {
            string from = MinSeconds > 0 ? string.Create(CultureInfo.InvariantCulture, $"{MinSeconds} s") : "zero (off)";
            throw new ValidationMetadataException(string.Create(CultureInfo.InvariantCulture,
                $"The duration {span.TotalSeconds} s is out of range: give {from} up to {MaxSeconds} s ({TimeSpanArgumentAttribute.BareNumberHint(BareNumberSeconds)}, a number with a unit such as 200ms, or a TimeSpan such as 00:01:30)."));
        }
    }
}
