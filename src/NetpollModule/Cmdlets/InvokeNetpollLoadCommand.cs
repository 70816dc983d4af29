using System.Collections.Concurrent;
using System.Management.Automation;
using System.Net;
using Netpoll.Load;
using Netpoll.LoadWorker;

namespace Netpoll.PowerShell;

/// <summary>
/// Invoke-NetpollLoad: drives a server with the C# load generator (never PowerShell in the hot path),
/// shows a progress bar, honours Ctrl+C, and returns one LoadResult. -Isolated runs the
/// generator in its own process so its connections do not count against this process's fd limit.
/// </summary>
[Cmdlet(VerbsLifecycle.Invoke, "NetpollLoad", DefaultParameterSetName = TargetSet)]
[OutputType(typeof(LoadResult))]
public sealed class InvokeNetpollLoadCommand : PSCmdlet
{
    private const string TargetSet = "Target";
    private const string ServerSet = "Server";

    private readonly CancellationTokenSource _cancel = new();
    private readonly BlockingCollection<object> _events = [];

    /// <summary>host:port (127.0.0.1:7000, [::1]:7000, localhost:7000) or unix:/path.</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = TargetSet)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(ServerEndPointCompleter))]
    public string? Target { get; set; }

    /// <summary>A server started with Start-NetpollServer (by pipeline).</summary>
    [Parameter(Mandatory = true, ParameterSetName = ServerSet, ValueFromPipeline = true)]
    [ValidateNotNull]
    public NetpollServer? Server { get; set; }

    [Parameter]
    [ValidateRange(1, 1_000_000)]
    public int Connections { get; set; } = 100;

    /// <summary>New connections per second while ramping; 0 = as fast as possible.</summary>
    [Parameter]
    [ValidateRange(0, 10_000_000)]
    public int ConnectRate { get; set; }

    /// <summary>Seconds (or a TimeSpan) the test runs, ramp included. Default 10 s unless -Requests is given.</summary>
    [Parameter]
    [TimeSpanArgument]
    [ValidateTimeSpanRange(MaxSeconds = 86400)]
    public TimeSpan Duration { get; set; }

    /// <summary>Stop after this many completed requests.</summary>
    [Parameter]
    [ValidateRange(1, long.MaxValue)]
    public long Requests { get; set; }

    [Parameter]
    [ValidateRange(1, 16 * 1024 * 1024)]
    public int MessageSize { get; set; } = 1024;

    [Parameter]
    public LoadPattern Pattern { get; set; } = LoadPattern.PingPong;

    /// <summary>Requests in flight per connection for Pipelined and Http.</summary>
    [Parameter]
    [ValidateRange(1, 1024)]
    public int Pipeline { get; set; } = 1;

    /// <summary>Source addresses to spread connections over (e.g. 127.0.0.1, 127.0.0.2): more ephemeral ports.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public IPAddress[]? SourceAddress { get; set; }

    /// <summary>Run the generator in a separate process (needed for counts near this process's fd limit).</summary>
    [Parameter]
    public SwitchParameter Isolated { get; set; }

    protected override void ProcessRecord()
    {
        string target = Server is not null ? ServerTarget(Server) : Target!;
        EndPoint endPoint;
        try
        {
            endPoint = LoadRequest.ParseEndPoint(target);
        }
        catch (FormatException ex)
        {
            ThrowTerminatingError(new ErrorRecord(ex, ErrorIds.InvalidTarget, ErrorCategory.InvalidArgument, target));
            return;
        }

        var request = new LoadRequest
        {
            Target = target,
            Connections = Connections,
            ConnectRate = ConnectRate,
            DurationSeconds = Duration > TimeSpan.Zero ? Duration.TotalSeconds : (Requests > 0 ? null : 10),
            Requests = Requests,
            MessageSize = MessageSize,
            Pattern = Pattern,
            Pipeline = Pipeline,
            SourceAddresses = SourceAddress?.Select(a => a.ToString()).ToArray() ?? [],
        };

        LoadOptions options;
        try
        {
            options = request.ToOptions() with { Target = endPoint };
            options.Validate();
        }
        catch (ArgumentException ex)
        {
            ThrowTerminatingError(new ErrorRecord(ex, ErrorIds.LoadFailed, ErrorCategory.InvalidArgument, target));
            return;
        }

        Task<LoadResult> running = Isolated
            ? IsolatedLoadRunner.RunAsync(request, Report, _cancel.Token)
            : LoadGenerator.RunAsync(options, Report, _cancel.Token);
        _ = running.ContinueWith(_ => _events.CompleteAdding(), TaskScheduler.Default);

        // Only this (pipeline) thread writes progress and output; the generator hands data over the queue.
        var activity = new ProgressRecord(1, $"Netpoll load: {Pattern} against {target}", "Connecting");
        foreach (object item in _events.GetConsumingEnumerable())
        {
            if (item is LoadProgress p)
            {
                activity.StatusDescription = $"{p.ConnectionsOpen}/{p.ConnectionsTarget} connections, {p.Requests:N0} requests, {p.RequestsPerSecond:N0}/s, {p.Errors} errors";
                activity.PercentComplete = PercentOf(p);
                activity.SecondsRemaining = p.Duration is { } d ? (int)Math.Max(0, (d - p.Elapsed).TotalSeconds) : -1;
                WriteProgress(activity);
            }
        }

        activity.RecordType = ProgressRecordType.Completed;
        WriteProgress(activity);
        try
        {
            LoadResult result = running.GetAwaiter().GetResult();
            WriteObject(result with { Isolated = Isolated });
        }
        catch (Exception ex) when (ex is InvalidOperationException or IOException or System.ComponentModel.Win32Exception)
        {
            ThrowTerminatingError(new ErrorRecord(ex, ErrorIds.LoadFailed, ErrorCategory.OperationStopped, target));
        }
    }

    protected override void StopProcessing() => _cancel.Cancel();

    private void Report(LoadProgress progress)
    {
        if (!_events.IsAddingCompleted)
        {
            try
            {
                _events.Add(progress);
            }
            catch (InvalidOperationException)
            {
                // Completed meanwhile: the last progress report is not needed.
            }
        }
    }

    private int PercentOf(LoadProgress p)
    {
        double byTime = p.Duration is { } d && d > TimeSpan.Zero ? p.Elapsed / d : 0;
        double byCount = Requests > 0 ? (double)p.Requests / Requests : 0;
        return (int)Math.Clamp(100 * Math.Max(byTime, byCount), 0, 100);
    }

    private static string ServerTarget(NetpollServer server) =>
        server.EndPoint.StartsWith("unix:", StringComparison.Ordinal) ? server.EndPoint
        : server.Loop.EndPoints.FirstOrDefault() is IPEndPoint ip
            ? new IPEndPoint(ip.Address.Equals(IPAddress.Any) ? IPAddress.Loopback : ip.Address.Equals(IPAddress.IPv6Any) ? IPAddress.IPv6Loopback : ip.Address, ip.Port).ToString()
            : server.EndPoint;

    protected override void EndProcessing() => _events.Dispose();
}
