using Netpoll.Protocols;

namespace Netpoll.PowerShell;

/// <summary>
/// One route of a running HTTP server, as Get-, Set- and Remove-NetpollRoute write it: what it matches,
/// what answers, and its counters read live (raw numbers; Netpoll.format.ps1xml formats them).
/// </summary>
public sealed class NetpollRoute
{
    internal NetpollRoute(NetpollServer server, HttpRoute route)
    {
        ServerName = server.Name;
        ServerId = server.Id;
        Route = route;
        string? script = server.RouteScript(route);
        Kind = script is not null ? "ScriptBlock" : route.IsDynamic ? "Callback" : "Static";
        Answer = script is not null ? FirstLine(script) : route.IsDynamic ? "(a callback)" : route.Response!.ToString();
        LastErrorSource = () => server.LastRouteError(route);
    }

    public string ServerName { get; }

    public int ServerId { get; }

    /// <summary>"METHOD /path" ("*" for any method).</summary>
    public string Pattern => Route.Pattern;

    public string Method => Route.Method;

    public string Path => Route.Path;

    /// <summary>Static, ScriptBlock or Callback (a route made in C#).</summary>
    public string Kind { get; }

    /// <summary>A static route's response, or the first line of its script.</summary>
    public string Answer { get; }

    /// <summary>Requests answered by this route (since it was set).</summary>
    public long Hits => Route.Hits;

    /// <summary>Requests whose script threw or wrote an error (each answered 500).</summary>
    public long Failures => Route.Failures;

    public TimeSpan MeanLatency => Route.MeanLatency;

    public TimeSpan MaxLatency => Route.MaxLatency;

    /// <summary>The script's last failure (time and message), or null.</summary>
    public string? LastError => LastErrorSource();

    internal HttpRoute Route { get; }

    private Func<string?> LastErrorSource { get; }

    public override string ToString() => $"{ServerName}: {Pattern}";

    private static string FirstLine(string script)
    {
        string line = script.Trim().Split('\n')[0].Trim();
        return line.Length > 60 ? line[..57] + "..." : "{ " + line + (script.Trim().Contains('\n', StringComparison.Ordinal) ? " ... }" : " }");
    }
}
