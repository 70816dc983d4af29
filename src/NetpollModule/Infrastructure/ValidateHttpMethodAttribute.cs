using System.Management.Automation;
using Netpoll.Load;

namespace Netpoll.PowerShell;

/// <summary>Checks -Method at binding: an HTTP method token (GET, POST, ... or an extension method).</summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
public sealed class ValidateHttpMethodAttribute : ValidateArgumentsAttribute
{
    protected override void Validate(object arguments, EngineIntrinsics engineIntrinsics)
    {
        try
        {
            LoadHttpRequest.ValidateMethod((arguments is PSObject ps ? ps.BaseObject : arguments)?.ToString() ?? "");
        }
        catch (ArgumentException ex)
        {
            throw new ValidationMetadataException(ex.Message, ex);
        }
    }
}
