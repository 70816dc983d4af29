using System.Collections;
using System.Collections.Concurrent;
using System.Collections.ObjectModel;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using System.Runtime.CompilerServices;
using Netpoll.Protocols;

namespace Netpoll.PowerShell;

/// <summary>
/// Runs one server's scriptblock routes on its own worker threads, each with its own runspace, so a script
/// never runs on (or blocks) a poller or ThreadPool thread: the engine queues the request and awaits its
/// answer. Every runspace sees <c>$Request</c> and the server's <c>$State</c> (one synchronized hashtable shared
/// by all of them). A script that throws, or writes an error, answers 500; the failure is kept per route
/// for Get-NetpollRoute and logged by the engine. A request whose client closed its connection while it waited
/// for a worker is dropped unrun.
/// </summary>
/// <remarks>
/// A scriptblock is run from its text in the workers' runspaces: it sees <c>$Request</c>, <c>$State</c> and
/// what it defines itself, not the variables of the session that started the server. Each worker keeps its
/// runspace open and its scripts compiled, and invokes them directly: a pipeline per request (a runspace
/// pool's BeginInvoke) costs milliseconds of CPU, a direct invocation tens of microseconds. Workers start
/// as requests wait for one, up to <see cref="Threads"/>.
/// </remarks>
internal sealed class ScriptRouteRunner : IDisposable
{
    /// <summary>Shapes a script's output: known shapes pass as they are, anything else becomes JSON here, where ConvertTo-Json lives.</summary>
    private const string Shaper = """
        param($Output, [string] $NormalizeScript, [string[]] $ResponseKeys)
        if ($Output.Count -eq 0) { return }
        $first = $Output[0]
        if ($Output.Count -eq 1 -and ($first -is [string] -or $first -is [int] -or $first -is [byte[]] -or $first -is [Netpoll.Protocols.HttpResponse])) { return , $first }
        if ($Output.Count -eq 1 -and $first -is [System.Collections.IDictionary] -and $first.Contains('Status') -and -not @($first.Keys | Where-Object { $_ -notin $ResponseKeys })) { return , (& ([scriptblock]::Create($NormalizeScript)) $first) }
        $data = if ($Output.Count -eq 1) { $first } else { , @($Output) }
        [pscustomobject]@{ PSTypeName = 'Netpoll.RouteJson'; Json = ConvertTo-Json -InputObject $data -Depth 10 -Compress }
        """;

    private readonly InitialSessionState _session;
    private readonly BlockingCollection<ScriptWork> _queue = [];
    // Keyed weakly: a route replaced by Set-NetpollRoute or removed takes its entries with it.
    private readonly ConditionalWeakTable<HttpRoute, string> _lastErrors = new();
    private readonly ConditionalWeakTable<HttpRoute, string> _scripts = new();
    private readonly Lock _workersGate = new();
    private int _workers;   // started, guarded by _workersGate
    private int _idle;      // waiting for work (Interlocked)

    public ScriptRouteRunner(int threads, Hashtable state)
    {
        _session = InitialSessionState.CreateDefault2();
        _session.Variables.Add(new SessionStateVariableEntry("State", state, "Shared by this server's route scriptblocks (synchronized)"));
        // Write-Error in a route answers 500 like throw does; without a pipeline, Stop is how a direct invocation sees it.
        _session.Variables.Add(new SessionStateVariableEntry("ErrorActionPreference", ActionPreference.Stop, "A route's errors answer 500"));
        Threads = threads;
    }

    public int Threads { get; }

    /// <summary>A route answered by <paramref name="script"/> on this runner's workers.</summary>
    public HttpRoute Route(string pattern, ScriptBlock script)
    {
        string text = script.ToString();
        HttpRoute? route = null;
        route = HttpRoute.Dynamic(pattern, request => RunAsync(route!, text, request));
        _scripts.AddOrUpdate(route, text);
        return route;
    }

    /// <summary>The script of a route this runner runs, or null for any other route.</summary>
    public string? ScriptOf(HttpRoute route) => _scripts.TryGetValue(route, out string? text) ? text : null;

    /// <summary>The last failure of a scriptblock route, or null.</summary>
    public string? LastError(HttpRoute route) => _lastErrors.TryGetValue(route, out string? error) ? error : null;

    /// <summary>Stops taking work; workers finish the script they run and end; a request still waiting fails (its client gets 500).</summary>
    public void Dispose()
    {
        _queue.CompleteAdding();
        while (_queue.TryTake(out ScriptWork? work))
        {
            work.Answer.TrySetException(new ObjectDisposedException(nameof(ScriptRouteRunner), "The server stopped before the script ran."));
        }
    }

    private ValueTask<HttpResponse> RunAsync(HttpRoute route, string script, HttpRequest request)
    {
        var work = new ScriptWork(route, script, request);
        try
        {
            _queue.Add(work);
        }
        catch (InvalidOperationException)
        {
            throw new ObjectDisposedException(nameof(ScriptRouteRunner), "The server is stopping.");
        }

        if (Volatile.Read(ref _idle) == 0)
        {
            StartWorkerIfRoom();
        }

        return new ValueTask<HttpResponse>(work.Answer.Task);
    }

    private void StartWorkerIfRoom()
    {
        lock (_workersGate)
        {
            if (_workers >= Threads || _queue.IsAddingCompleted)
            {
                return;
            }

            _workers++;
        }

        // A dedicated thread: a script may block (Start-Sleep, a slow call) without taking a ThreadPool thread.
        new Thread(Work) { IsBackground = true, Name = "netpoll route script" }.Start();
    }

    private void Work()
    {
        using Runspace runspace = RunspaceFactory.CreateRunspace(_session);
        runspace.Open();
        Runspace.DefaultRunspace = runspace; // what the scripts compiled on this thread run in
        var compiled = new Dictionary<string, ScriptBlock>(StringComparer.Ordinal);
        ScriptBlock shaper = ScriptBlock.Create(Shaper);
        Interlocked.Increment(ref _idle);
        try
        {
            foreach (ScriptWork work in _queue.GetConsumingEnumerable())
            {
                Interlocked.Decrement(ref _idle);
                if (_queue.Count > 0 && Volatile.Read(ref _idle) == 0)
                {
                    StartWorkerIfRoom(); // requests are waiting and every worker is busy
                }

                if (work.Request.IsAborted)
                {
                    // Its client reset while the request waited for a worker: the answer would reach no one, and running
                    // the script would only keep live requests queued behind it.
                    work.Answer.TrySetCanceled();
                }
                else
                {
                    Run(work, compiled, shaper);
                }

                Interlocked.Increment(ref _idle);
            }
        }
        finally
        {
            Runspace.DefaultRunspace = null;
        }
    }

    private void Run(ScriptWork work, Dictionary<string, ScriptBlock> compiled, ScriptBlock shaper)
    {
        try
        {
            if (!compiled.TryGetValue(work.Script, out ScriptBlock? script))
            {
                script = ScriptBlock.Create(work.Script);
                compiled[work.Script] = script;
            }

            Collection<PSObject> output = script.InvokeWithContext(null, [new PSVariable("Request", work.Request)], work.Request);
            Collection<PSObject> shaped = shaper.Invoke(output, RouteResponse.NormalizeScript, RouteResponse.KnownKeys);
            work.Answer.TrySetResult(Shape(shaped));
        }
        catch (Exception ex)
        {
            // Answered 500 by the handler; the worker lives on, so one bad request never stops the rest.
            Exception error = ex is RuntimeException script ? new InvalidOperationException(Describe(script.ErrorRecord, script.Message), script) : ex;
            work.Answer.TrySetException(Remember(work.Route, error));
        }
    }

    private static HttpResponse Shape(Collection<PSObject> output)
    {
        if (output.Count == 0 || output[0] is null)
        {
            return HttpResponse.WithStatus(204);
        }

        PSObject result = output[0];
        if (result.TypeNames.Contains("Netpoll.RouteJson"))
        {
            return HttpResponse.Json(result.Properties["Json"].Value?.ToString() ?? "null");
        }

        // A File in a script's answer is a full path: the workers' runspaces have no useful current directory.
        return RouteResponse.From(result, path => Path.GetFullPath(path));
    }

    private Exception Remember(HttpRoute route, Exception error)
    {
        _lastErrors.AddOrUpdate(route, $"{DateTimeOffset.Now:HH:mm:ss} {error.Message}");
        return error;
    }

    private static string Describe(ErrorRecord? record, string message)
    {
        string where = record?.InvocationInfo?.PositionMessage is { Length: > 0 } position ? $" ({position.Split('\n')[0].Trim()})" : "";
        return message + where;
    }

    /// <summary>One request for a script, and where its answer goes.</summary>
    private sealed record ScriptWork(HttpRoute Route, string Script, HttpRequest Request)
    {
        public TaskCompletionSource<HttpResponse> Answer { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
