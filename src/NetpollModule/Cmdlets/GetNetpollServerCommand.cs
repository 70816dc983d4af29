using System.Management.Automation;

namespace Netpoll.PowerShell;

/// <summary>Get-NetpollServer: the servers running in this process.</summary>
[Cmdlet(VerbsCommon.Get, "NetpollServer", DefaultParameterSetName = NameSet, HelpUri = HelpLinks.Module)]
[OutputType(typeof(NetpollServer))]
public sealed class GetNetpollServerCommand : PSCmdlet
{
    private const string NameSet = "Name";
    private const string IdSet = "Id";

    /// <summary>Names or wildcard patterns; all servers when omitted.</summary>
    [Parameter(Position = 0, ParameterSetName = NameSet, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(ServerNameCompleter))]
    public string[]? Name { get; set; }

    [Parameter(Mandatory = true, ParameterSetName = IdSet, ValueFromPipelineByPropertyName = true)]
    [ValidateRange(1, int.MaxValue)]
    [ArgumentCompleter(typeof(ServerIdCompleter))]
    public int[]? Id { get; set; }

    protected override void ProcessRecord()
    {
        IEnumerable<NetpollServer> servers = ParameterSetName == IdSet ? ServerLookup.ById(this, Id!)
            : Name is null ? Registries.Servers.All
            : ServerLookup.ByName(this, Name);
        foreach (NetpollServer server in servers)
        {
            WriteObject(server);
        }
    }
}
