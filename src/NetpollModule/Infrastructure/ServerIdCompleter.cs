using System.Globalization;

namespace Netpoll.PowerShell;

/// <summary>Tab completion of -Id with the ids of the servers running in this process.</summary>
public sealed class ServerIdCompleter : ServerCompleter
{
    protected override string ValueOf(NetpollServer server) => server.Id.ToString(CultureInfo.InvariantCulture);
}
