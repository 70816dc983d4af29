using System.Management.Automation;

namespace Netpoll.PowerShell;

/// <summary>Get-NetpollToxic: the toxics of running proxies, with how often each applied.</summary>
[Cmdlet(VerbsCommon.Get, "NetpollToxic", HelpUri = HelpLinks.Proxy)]
[OutputType(typeof(NetpollToxic))]
public sealed class GetNetpollToxicCommand : PSCmdlet
{
    /// <summary>Proxies or their names; every proxy when omitted.</summary>
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("ProxyName")]
    [ProxyArgument]
    [ArgumentCompleter(typeof(ProxyNameCompleter))]
    public NetpollProxy[]? Proxy { get; set; }

    /// <summary>Toxic names or wildcard patterns; all when omitted.</summary>
    [Parameter(Position = 1)]
    [ValidateNotNullOrEmpty]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(ToxicNameCompleter))]
    public string[]? Name { get; set; }

    protected override void ProcessRecord()
    {
        IEnumerable<NetpollProxy> proxies = Proxy is null ? Registries.Proxies.All : ProxyLookup.Running(this, Proxy);
        foreach (NetpollProxy proxy in proxies)
        {
            IReadOnlyList<NetpollToxic> toxics = proxy.Toxics;
            foreach (string pattern in Name ?? ["*"])
            {
                var wildcard = new WildcardPattern(pattern, WildcardOptions.IgnoreCase);
                NetpollToxic[] matches = [.. toxics.Where(t => wildcard.IsMatch(t.Name))];
                if (matches.Length == 0 && !WildcardPattern.ContainsWildcardCharacters(pattern))
                {
                    WriteError(ToxicChange.NotFound(proxy, pattern));
                }

                WriteObject(matches, enumerateCollection: true);
            }
        }
    }
}
