using System.Management.Automation;
using Netpoll.Load;

namespace Netpoll.PowerShell;

/// <summary>Checks each -Uri at binding: an absolute http:// URI with a host.</summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
public sealed class ValidateLoadUriAttribute : ValidateEnumeratedArgumentsAttribute
{
    protected override void ValidateElement(object element)
    {
        try
        {
            LoadHttpRequest.ValidateUri((element is PSObject ps ? ps.BaseObject : element) as Uri ?? throw new ArgumentException($"'{element}' is not a URI: give http://host:port/path."));
        }
        catch (ArgumentException ex)
        {
            throw new ValidationMetadataException(ex.Message, ex);
        }
    }
}
