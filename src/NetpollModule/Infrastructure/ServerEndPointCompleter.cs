namespace Netpoll.PowerShell;

/// <summary>Tab completion of -Target with where each running server is reached (a wildcard address through loopback).</summary>
public sealed class ServerEndPointCompleter : ServerCompleter
{
    protected override string ValueOf(NetpollServer server) => server.ReachableTarget;
}
