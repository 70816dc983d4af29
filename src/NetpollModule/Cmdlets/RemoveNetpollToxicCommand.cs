using System.Management.Automation;

namespace Netpoll.PowerShell;

/// <summary>Remove-NetpollToxic: removes toxics from a running proxy; what they held back goes out at once.</summary>
[Cmdlet(VerbsCommon.Remove, "NetpollToxic", SupportsShouldProcess = true, HelpUri = HelpLinks.Proxy)]
public sealed class RemoveNetpollToxicCommand : PSCmdlet
{
    /// <summary>The proxy, or its name (a toxic from Get-NetpollToxic brings its ProxyName).</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("ProxyName")]
    [ProxyArgument]
    [ArgumentCompleter(typeof(ProxyNameCompleter))]
    public NetpollProxy? Proxy { get; set; }

    /// <summary>Toxic names or wildcard patterns.</summary>
    [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(ToxicNameCompleter))]
    public string[]? Name { get; set; }

    protected override void ProcessRecord()
    {
        if (ToxicChange.Live(this, Proxy!) is not { } proxy)
        {
            return;
        }

        foreach (string pattern in Name!)
        {
            var wildcard = new WildcardPattern(pattern, WildcardOptions.IgnoreCase);
            string[] matches = [.. proxy.Proxy.Toxics.Select(t => t.Name).Where(wildcard.IsMatch)];
            if (matches.Length == 0 && !WildcardPattern.ContainsWildcardCharacters(pattern))
            {
                WriteError(ToxicChange.NotFound(proxy, pattern));
            }

            foreach (string name in matches)
            {
                if (ShouldProcess($"{proxy.Name}", $"Remove toxic {name}") && ToxicChange.TryRun(this, proxy, () => proxy.Proxy.RemoveToxicAsync(name), name))
                {
                    WriteVerbose($"Removed {name} from {proxy.Name}.");
                }
            }
        }
    }
}
