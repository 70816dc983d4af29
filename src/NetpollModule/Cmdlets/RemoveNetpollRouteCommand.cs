using System.Management.Automation;
using Netpoll.Protocols;

namespace Netpoll.PowerShell;

/// <summary>Remove-NetpollRoute: removes routes from a running HTTP server; later requests for them get 404 (or 405).</summary>
[Cmdlet(VerbsCommon.Remove, "NetpollRoute", SupportsShouldProcess = true, DefaultParameterSetName = NameSet, HelpUri = HelpLinks.Module)]
[OutputType(typeof(NetpollRoute))]
public sealed class RemoveNetpollRouteCommand : PSCmdlet
{
    private const string NameSet = "Name";
    private const string ServerSet = "Server";
    private const string RouteSet = "Route";

    /// <summary>The server, by name (wildcards).</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = NameSet)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(ServerNameCompleter))]
    public string[]? Name { get; set; }

    [Parameter(Mandatory = true, ParameterSetName = ServerSet, ValueFromPipeline = true)]
    [ValidateNotNull]
    public NetpollServer[]? InputObject { get; set; }

    /// <summary>"METHOD /path" of each route to remove ({param} names aside, as the route was set).</summary>
    [Parameter(Mandatory = true, Position = 1, ParameterSetName = NameSet)]
    [Parameter(Mandatory = true, Position = 1, ParameterSetName = ServerSet)]
    [ValidateNotNullOrEmpty]
    public string[]? Pattern { get; set; }

    /// <summary>Routes from Get-NetpollRoute.</summary>
    [Parameter(Mandatory = true, ParameterSetName = RouteSet, ValueFromPipeline = true)]
    [ValidateNotNull]
    public NetpollRoute[]? Route { get; set; }

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        if (ParameterSetName == RouteSet)
        {
            foreach (NetpollRoute route in Route!)
            {
                if (Registries.Servers.ById(route.ServerId) is { Http: { } http } server)
                {
                    Remove(server, http, route.Pattern);
                }
                else
                {
                    WriteError(NotFound($"Server '{route.ServerName}' is not running; its routes are gone with it.", route));
                }
            }

            return;
        }

        IEnumerable<NetpollServer> servers = ParameterSetName == ServerSet ? ServerLookup.Running(this, InputObject!) : ServerLookup.ByName(this, Name!);
        foreach ((NetpollServer server, HttpHandler http) in ServerLookup.WithRoutes(this, servers, required: true))
        {
            foreach (string pattern in Pattern!)
            {
                Remove(server, http, pattern);
            }
        }
    }

    private void Remove(NetpollServer server, HttpHandler http, string pattern)
    {
        HttpRoute? found;
        try
        {
            found = http.Routes.Find(pattern);
        }
        catch (ArgumentException ex)
        {
            WriteError(new ErrorRecord(ex, ErrorIds.RouteNotFound, ErrorCategory.InvalidArgument, pattern));
            return;
        }

        if (found is null)
        {
            WriteError(NotFound($"Server '{server.Name}' has no route '{pattern}'. Get-NetpollRoute -Name {server.Name} lists its routes.", pattern));
            return;
        }

        if (!ShouldProcess($"{server.Name}: {found.Pattern}", "Remove route"))
        {
            return;
        }

        var removed = new NetpollRoute(server, found);
        http.Routes.Remove(pattern);
        WriteVerbose($"Removed {found.Pattern} from {server.Name}.");
        if (PassThru)
        {
            WriteObject(removed);
        }
    }

    private static ErrorRecord NotFound(string message, object target) =>
        new(new ItemNotFoundException(message), ErrorIds.RouteNotFound, ErrorCategory.ObjectNotFound, target);
}
