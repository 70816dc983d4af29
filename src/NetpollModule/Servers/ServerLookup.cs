using System.Management.Automation;

namespace Netpoll.PowerShell;

/// <summary>
/// Finds running servers by name (wildcards), by id, or by a server object, for every cmdlet that
/// takes them; what is not found is a non-terminating NetpollServerNotFound error of its own.
/// </summary>
internal static class ServerLookup
{
    private static readonly RegistryLookup<NetpollServer> Lookup =
        new("server", ErrorIds.ServerNotFound, Registries.Servers);

    public static IEnumerable<NetpollServer> ByName(Cmdlet cmdlet, IEnumerable<string> names) => Lookup.ByName(cmdlet, names);

    public static IEnumerable<NetpollServer> ById(Cmdlet cmdlet, IEnumerable<int> ids) => Lookup.ById(cmdlet, ids);

    /// <summary>The live server behind each object (it may have been stopped since it was written to the pipeline).</summary>
    public static IEnumerable<NetpollServer> Running(Cmdlet cmdlet, IEnumerable<NetpollServer> servers) => Lookup.Running(cmdlet, servers);

    /// <summary>The servers that serve HTTP routes; any other is skipped, or an error of its own when <paramref name="required"/>.</summary>
    public static IEnumerable<(NetpollServer Server, Protocols.HttpHandler Http)> WithRoutes(Cmdlet cmdlet, IEnumerable<NetpollServer> servers, bool required)
    {
        foreach (NetpollServer server in servers)
        {
            if (server.Http is { } http)
            {
                yield return (server, http);
            }
            else if (required)
            {
                cmdlet.WriteError(new ErrorRecord(
                    new InvalidOperationException($"Server '{server.Name}' runs {server.Handler}, which has no HTTP routes. Routes belong to servers started with -Protocol Http or -Route."),
                    ErrorIds.NotHttpServer, ErrorCategory.InvalidOperation, server));
            }
        }
    }
}
