using System.Management.Automation;
using Netpoll.Protocols;

namespace Netpoll.PowerShell;

/// <summary>Set-NetpollRoute: adds routes to a running HTTP server, or replaces those with the same method and path.</summary>
[Cmdlet(VerbsCommon.Set, "NetpollRoute", SupportsShouldProcess = true, DefaultParameterSetName = NameSet, HelpUri = HelpLinks.Module)]
[OutputType(typeof(NetpollRoute))]
public sealed class SetNetpollRouteCommand : PSCmdlet
{
    private const string NameSet = "Name";
    private const string ObjectSet = "InputObject";

    /// <summary>The server, by name (wildcards).</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = NameSet)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(ServerNameCompleter))]
    public string[]? Name { get; set; }

    [Parameter(Mandatory = true, ParameterSetName = ObjectSet, ValueFromPipeline = true)]
    [ValidateNotNull]
    public NetpollServer[]? InputObject { get; set; }

    /// <summary>Hashtables of 'METHOD /path' = answer, as for Start-NetpollServer -Route.</summary>
    [Parameter(Mandatory = true, Position = 1)]
    [RouteArgument]
    public object[]? Route { get; set; }

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        IEnumerable<NetpollServer> servers = ParameterSetName == ObjectSet ? ServerLookup.Running(this, InputObject!) : ServerLookup.ByName(this, Name!);
        foreach ((NetpollServer server, HttpHandler http) in ServerLookup.WithRoutes(this, servers, required: true))
        {
            foreach (RouteDefinition definition in Route!.Cast<RouteDefinition>())
            {
                bool replaces = http.Routes.Find(definition.Pattern) is not null;
                if (!ShouldProcess($"{server.Name}: {definition.Pattern}", replaces ? "Replace route" : "Add route"))
                {
                    continue;
                }

                HttpRoute route = definition.Route ?? server.Scripts.Route(definition.Pattern, definition.Script!);
                http.Routes.Set(route);
                WriteVerbose($"{(replaces ? "Replaced" : "Added")} {route.Pattern} on {server.Name}.");
                if (PassThru)
                {
                    WriteObject(new NetpollRoute(server, route));
                }
            }
        }
    }
}
