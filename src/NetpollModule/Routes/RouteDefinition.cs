using System.Management.Automation;
using Netpoll.Protocols;

namespace Netpoll.PowerShell;

/// <summary>
/// One route as -Route gave it, checked at parameter binding: a static route already made (its response
/// turned into bytes), or a scriptblock route's pattern and script, made into a route once the server's
/// script runner exists.
/// </summary>
internal sealed class RouteDefinition
{
    private RouteDefinition(string pattern, HttpRoute? route, ScriptBlock? script)
    {
        Pattern = pattern;
        Route = route;
        Script = script;
    }

    public string Pattern { get; }

    /// <summary>The static route; null for a scriptblock route.</summary>
    public HttpRoute? Route { get; }

    /// <summary>The scriptblock; null for a static route.</summary>
    public ScriptBlock? Script { get; }

    public static RouteDefinition Static(HttpRoute route) => new(route.Pattern, route, null);

    public static RouteDefinition Scripted(string pattern, ScriptBlock script) => new(pattern, null, script);

    public override string ToString() => Pattern;
}
