namespace Netpoll.PowerShell;

/// <summary>Tab completion of -Name with the names of the servers running in this process.</summary>
public sealed class ServerNameCompleter : ServerCompleter
{
    protected override string ValueOf(NetpollServer server) => server.Name;
}
