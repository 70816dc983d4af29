using System.Management.Automation;

namespace Netpoll.PowerShell;

/// <summary>Get-NetpollServer: the servers running in this process.</summary>
[Cmdlet(VerbsCommon.Get, "NetpollServer", DefaultParameterSetName = NameSet)]
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
    public int[]? Id { get; set; }

    protected override void ProcessRecord()
    {
        if (ParameterSetName == IdSet)
        {
            foreach (int id in Id!)
            {
                if (ServerRegistry.ById(id) is { } server)
                {
                    WriteObject(server);
                }
                else
                {
                    WriteError(StopNetpollServerCommand.NotFound($"No Netpoll server has Id {id}.", id));
                }
            }

            return;
        }

        if (Name is null)
        {
            WriteObject(ServerRegistry.All, enumerateCollection: true);
            return;
        }

        foreach (string name in Name)
        {
            NetpollServer[] matches = [.. ServerRegistry.ByName(name)];
            if (matches.Length == 0 && !WildcardPattern.ContainsWildcardCharacters(name))
            {
                WriteError(StopNetpollServerCommand.NotFound($"No Netpoll server is named '{name}'.", name));
            }

            WriteObject(matches, enumerateCollection: true);
        }
    }
}
