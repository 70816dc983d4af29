using System.Management.Automation;

namespace Netpoll.PowerShell;

/// <summary>Get-NetpollProxy: the proxies running in this process.</summary>
[Cmdlet(VerbsCommon.Get, "NetpollProxy", DefaultParameterSetName = NameSet, HelpUri = HelpLinks.Proxy)]
[OutputType(typeof(NetpollProxy))]
public sealed class GetNetpollProxyCommand : PSCmdlet
{
    private const string NameSet = "Name";
    private const string IdSet = "Id";

    /// <summary>Names or wildcard patterns; all proxies when omitted.</summary>
    [Parameter(Position = 0, ParameterSetName = NameSet, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(ProxyNameCompleter))]
    public string[]? Name { get; set; }

    [Parameter(Mandatory = true, ParameterSetName = IdSet, ValueFromPipelineByPropertyName = true)]
    [ValidateRange(1, int.MaxValue)]
    public int[]? Id { get; set; }

    protected override void ProcessRecord()
    {
        IEnumerable<NetpollProxy> proxies = ParameterSetName == IdSet ? ProxyLookup.ById(this, Id!)
            : Name is null ? Registries.Proxies.All
            : ProxyLookup.ByName(this, Name);
        foreach (NetpollProxy proxy in proxies)
        {
            WriteObject(proxy);
        }
    }
}
