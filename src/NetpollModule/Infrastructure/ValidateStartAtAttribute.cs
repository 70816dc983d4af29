using System.Management.Automation;
using Netpoll.Load;

namespace Netpoll.PowerShell;

/// <summary>
/// Rejects a -StartAt in the past or more than an hour ahead at parameter binding, saying which and by how
/// much (a local time is read as local, a UTC one as UTC). The run checks again when it starts.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
public sealed class ValidateStartAtAttribute : ValidateArgumentsAttribute
{
    protected override void Validate(object arguments, EngineIntrinsics engineIntrinsics)
    {
        if ((arguments is PSObject ps ? ps.BaseObject : arguments) is DateTime time)
        {
            try
            {
                LoadOptions.ValidateStartAt(new DateTimeOffset(time), DateTimeOffset.UtcNow);
            }
            catch (ArgumentOutOfRangeException ex)
            {
                // The reason alone: the binding error already names the parameter and shows the value.
                string reason = ex.Message.Split(Environment.NewLine)[0];
                int parameter = reason.LastIndexOf(" (Parameter '", StringComparison.Ordinal);
                throw new ValidationMetadataException(parameter > 0 ? reason[..parameter] : reason, ex);
            }
        }
    }
}
