using System.Management.Automation;

namespace Netpoll.PowerShell;

/// <summary>Get-NetpollRoute: the routes of running HTTP servers, with hit counts and latency read live.</summary>
[Cmdlet(VerbsCommon.Get, "NetpollRoute", DefaultParameterSetName = NameSet, HelpUri = HelpLinks.Module)]
[OutputType(typeof(NetpollRoute))]
public sealed class GetNetpollRouteCommand : PSCmdlet
{
    private const string NameSet = "Name";
    private const string ObjectSet = "InputObject";

    /// <summary>Route patterns to show ("GET /users/*"); wildcards allowed. Default: all.</summary>
    [Parameter(Position = 0)]
    [ValidateNotNullOrEmpty]
    public string[] Pattern { get; set; } = ["*"];

    /// <summary>Servers by name (wildcards); default every HTTP server.</summary>
    [Parameter(ParameterSetName = NameSet, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(ServerNameCompleter))]
    public string[] Name { get; set; } = ["*"];

    [Parameter(Mandatory = true, ParameterSetName = ObjectSet, ValueFromPipeline = true)]
    [ValidateNotNull]
    public NetpollServer[]? InputObject { get; set; }

    protected override void ProcessRecord()
    {
        bool named = ParameterSetName == ObjectSet || Name.Any(n => !WildcardPattern.ContainsWildcardCharacters(n));
        IEnumerable<NetpollServer> servers = ParameterSetName == ObjectSet ? ServerLookup.Running(this, InputObject!) : ServerLookup.ByName(this, Name);
        WildcardPattern[] patterns = [.. Pattern.Select(p => new WildcardPattern(p, WildcardOptions.IgnoreCase))];
        foreach ((NetpollServer server, Protocols.HttpHandler http) in ServerLookup.WithRoutes(this, servers, required: named))
        {
            foreach (Protocols.HttpRoute route in http.Routes.Routes.Where(r => patterns.Any(p => p.IsMatch(r.Pattern))))
            {
                WriteObject(new NetpollRoute(server, route));
            }
        }
    }
}
