using System.Collections;
using System.Collections.Concurrent;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using Netpoll.Protocols;

namespace Netpoll.PowerShell;

/// <summary>
/// Runs one server's scriptblock routes in its own runspace pool, so a script never runs on (or blocks)
/// a poller thread: the engine hands the request over and awaits the pool's asynchronous invocation.
/// Every runspace sees <c>$Request</c> and the server's <c>$State</c> (one synchronized hashtable shared
/// by all of them). A script that throws, or writes an error, answers 500; the failure is kept per route
/// for Get-NetpollRoute and logged by the engine.
/// </summary>
/// <remarks>
/// A scriptblock is run from its text in the pool's runspaces: it sees <c>$Request</c>, <c>$State</c> and
/// what it defines itself, not the variables of the session that started the server.
/// </remarks>
internal sealed class ScriptRouteRunner : IDisposable
{
    /// <summary>Runs the route's script and shapes its output: known shapes pass as they are, anything else becomes JSON here, where ConvertTo-Json lives.</summary>
    private const string Bridge = """
        param([string] $NetpollRouteScript, $Request, [string] $NormalizeScript, [string[]] $ResponseKeys)
        $output = @(& ([scriptblock]::Create($NetpollRouteScript)) $Request)
        if ($output.Count -eq 0) { return }
        $first = $output[0]
        if ($output.Count -eq 1 -and ($first -is [string] -or $first -is [int] -or $first -is [byte[]] -or $first -is [Netpoll.Protocols.HttpResponse])) { return , $first }
        if ($output.Count -eq 1 -and $first -is [System.Collections.IDictionary] -and $first.Contains('Status') -and -not @($first.Keys | Where-Object { $_ -notin $ResponseKeys })) { return , (& ([scriptblock]::Create($NormalizeScript)) $first) }
        $data = if ($output.Count -eq 1) { $first } else { , $output }
        [pscustomobject]@{ PSTypeName = 'Netpoll.RouteJson'; Json = ConvertTo-Json -InputObject $data -Depth 10 -Compress }
        """;

    private readonly RunspacePool _pool;
    private readonly ConcurrentDictionary<HttpRoute, string> _lastErrors = new();
    private readonly ConcurrentDictionary<HttpRoute, string> _scripts = new();

    public ScriptRouteRunner(int threads, Hashtable state)
    {
        InitialSessionState session = InitialSessionState.CreateDefault2();
        session.Variables.Add(new SessionStateVariableEntry("State", state, "Shared by this server's route scriptblocks (synchronized)"));
        _pool = RunspaceFactory.CreateRunspacePool(session);
        _pool.SetMinRunspaces(1);
        _pool.SetMaxRunspaces(threads);
        _pool.Open();
        Threads = threads;
    }

    public int Threads { get; }

    /// <summary>A route answered by <paramref name="script"/> in this pool.</summary>
    public HttpRoute Route(string pattern, ScriptBlock script)
    {
        string text = script.ToString();
        HttpRoute? route = null;
        route = HttpRoute.Dynamic(pattern, request => RunAsync(route!, text, request));
        _scripts[route] = text;
        return route;
    }

    /// <summary>The script of a route this pool runs, or null for any other route.</summary>
    public string? ScriptOf(HttpRoute route) => _scripts.TryGetValue(route, out string? text) ? text : null;

    /// <summary>The last failure of a scriptblock route, or null.</summary>
    public string? LastError(HttpRoute route) => _lastErrors.TryGetValue(route, out string? error) ? error : null;

    public void Dispose() => _pool.Dispose();

    private async ValueTask<HttpResponse> RunAsync(HttpRoute route, string script, HttpRequest request)
    {
        using System.Management.Automation.PowerShell shell = System.Management.Automation.PowerShell.Create();
        shell.RunspacePool = _pool;
        shell.AddScript(Bridge).AddArgument(script).AddArgument(request).AddArgument(RouteResponse.NormalizeScript).AddArgument(RouteResponse.KnownKeys);
        PSDataCollection<PSObject> output;
        try
        {
            output = await Task.Factory.FromAsync(shell.BeginInvoke(), shell.EndInvoke).ConfigureAwait(false);
        }
        catch (RuntimeException ex)
        {
            throw Remember(route, new InvalidOperationException(Describe(ex.ErrorRecord, ex.Message), ex));
        }

        if (shell.Streams.Error.Count > 0)
        {
            ErrorRecord error = shell.Streams.Error[0];
            throw Remember(route, new InvalidOperationException(Describe(error, error.ToString()), error.Exception));
        }

        try
        {
            return Shape(output);
        }
        catch (ArgumentException ex)
        {
            throw Remember(route, ex);
        }
    }

    private static HttpResponse Shape(PSDataCollection<PSObject> output)
    {
        if (output.Count == 0)
        {
            return HttpResponse.WithStatus(204);
        }

        PSObject result = output[0];
        if (result.TypeNames.Contains("Netpoll.RouteJson"))
        {
            return HttpResponse.Json(result.Properties["Json"].Value?.ToString() ?? "null");
        }

        // A File in a script's answer is a full path: the pool's runspaces have no useful current directory.
        return RouteResponse.From(result, path => Path.GetFullPath(path));
    }

    private Exception Remember(HttpRoute route, Exception error)
    {
        _lastErrors[route] = $"{DateTimeOffset.Now:HH:mm:ss} {error.Message}";
        return error;
    }

    private static string Describe(ErrorRecord? record, string message)
    {
        string where = record?.InvocationInfo?.PositionMessage is { Length: > 0 } position ? $" ({position.Split('\n')[0].Trim()})" : "";
        return message + where;
    }
}
