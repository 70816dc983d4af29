using System.Management.Automation;

namespace Netpoll.PowerShell;

/// <summary>Rejects an -Upstream that is not host:port or unix:path at parameter binding, saying what is allowed.</summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
public sealed class ValidateUpstreamAttribute : ValidateArgumentsAttribute
{
    protected override void Validate(object arguments, EngineIntrinsics engineIntrinsics)
    {
        string text = (arguments is PSObject ps ? ps.BaseObject : arguments)?.ToString() ?? "";
        if (UpstreamAddress.Parse(text, out string? problem) is null)
        {
            throw new ValidationMetadataException($"'{text}' is not an upstream: {problem}. Give {UpstreamAddress.Forms}.");
        }
    }
}
