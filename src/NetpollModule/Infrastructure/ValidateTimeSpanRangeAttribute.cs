using System.Management.Automation;

namespace Netpoll.PowerShell;

/// <summary>Rejects negative durations and absurdly long ones at parameter binding.</summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
public sealed class ValidateTimeSpanRangeAttribute : ValidateArgumentsAttribute
{
    public double MaxSeconds { get; set; } = TimeSpan.FromDays(24).TotalSeconds;

    protected override void Validate(object arguments, EngineIntrinsics engineIntrinsics)
    {
        object value = arguments is PSObject ps ? ps.BaseObject : arguments;
        if (value is TimeSpan span && (span < TimeSpan.Zero || span.TotalSeconds > MaxSeconds))
        {
            throw new ValidationMetadataException($"The duration {span} is out of range: give zero (off) up to {TimeSpan.FromSeconds(MaxSeconds)}.");
        }
    }
}
