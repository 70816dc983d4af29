using System.Management.Automation;

namespace Netpoll.PowerShell;

/// <summary>
/// Finds running servers by name (wildcards), by id, or by a server object, for every cmdlet that
/// takes them; what is not found is a non-terminating NetpollServerNotFound error of its own.
/// </summary>
internal static class ServerLookup
{
    public static IEnumerable<NetpollServer> ByName(Cmdlet cmdlet, IEnumerable<string> names)
    {
        foreach (string name in names)
        {
            NetpollServer[] matches = [.. ServerRegistry.ByName(name)];
            if (matches.Length == 0 && !WildcardPattern.ContainsWildcardCharacters(name))
            {
                cmdlet.WriteError(NotFound($"No Netpoll server is named '{name}'. Get-NetpollServer lists the running ones.", name));
            }

            foreach (NetpollServer server in matches)
            {
                yield return server;
            }
        }
    }

    public static IEnumerable<NetpollServer> ById(Cmdlet cmdlet, IEnumerable<int> ids)
    {
        foreach (int id in ids)
        {
            if (ServerRegistry.ById(id) is { } server)
            {
                yield return server;
            }
            else
            {
                cmdlet.WriteError(NotFound($"No Netpoll server has Id {id}. Get-NetpollServer lists the running ones.", id));
            }
        }
    }

    /// <summary>The live server behind each object (it may have been stopped since it was written to the pipeline).</summary>
    public static IEnumerable<NetpollServer> Running(Cmdlet cmdlet, IEnumerable<NetpollServer> servers)
    {
        foreach (NetpollServer server in servers)
        {
            if (ServerRegistry.ById(server.Id) is { } live)
            {
                yield return live;
            }
            else
            {
                cmdlet.WriteError(NotFound($"Server '{server.Name}' (Id {server.Id}) is not running; it was already stopped.", server.Name));
            }
        }
    }

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

    private static ErrorRecord NotFound(string message, object target) =>
        new(new ItemNotFoundException(message), ErrorIds.ServerNotFound, ErrorCategory.ObjectNotFound, target);
}
