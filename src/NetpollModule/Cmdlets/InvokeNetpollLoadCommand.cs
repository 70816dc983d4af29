using System.Collections.Concurrent;
using System.Globalization;
using System.Management.Automation;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Netpoll.Load;
using Netpoll.Load.Contracts;
using Netpoll.Polling;
using Netpoll.Protocols;

namespace Netpoll.PowerShell;

/// <summary>
/// Invoke-NetpollLoad: drives a server with the C# load generator (never PowerShell in the hot path),
/// shows a progress bar per target, and returns one LoadResult per target. A piped server's protocol
/// picks the pattern. A run in which no request completed also writes a NetpollLoadFailed error.
/// Ctrl+C stops the run; PowerShell then accepts no output, so the measured result goes to
/// -OutVariable and $NetpollLastLoadResult (see <see cref="LoadResultDelivery"/>).
/// -Isolated runs the generator in its own process so its connections do not count against this
/// process's fd limit.
/// </summary>
// The object set is the default so a piped server binds as itself, not by its EndPoint property as a -Target.
[Cmdlet(VerbsLifecycle.Invoke, "NetpollLoad", DefaultParameterSetName = ServerSet, HelpUri = HelpLinks.Module)]
[OutputType(typeof(LoadResult))]
public sealed class InvokeNetpollLoadCommand : PSCmdlet, IDisposable
{
    private const string TargetSet = "Target";
    private const string ServerSet = "InputObject";
    private const string UriSet = "Uri";

    private readonly CancellationTokenSource _cancel = new();

    /// <summary>host:port (127.0.0.1:7000, [::1]:7000, web.example:80) or unix:/path; binds the EndPoint property of piped objects.</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = TargetSet, ValueFromPipelineByPropertyName = true)]
    [Alias("EndPoint")]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(ServerEndPointCompleter))]
    public string? Target { get; set; }

    /// <summary>A server started with Start-NetpollServer (by pipeline); its protocol picks the pattern.</summary>
    [Parameter(Mandatory = true, ParameterSetName = ServerSet, ValueFromPipeline = true)]
    [Alias("Server")]
    [ValidateNotNull]
    public NetpollServer? InputObject { get; set; }

    /// <summary>http://host:port/ or https://host:port/ (default ports 80 and 443): HTTP load, over TLS for https.</summary>
    [Parameter(Mandatory = true, ParameterSetName = UriSet)]
    [ValidateNotNull]
    public Uri? Uri { get; set; }

    /// <summary>Accept any server certificate (self-signed, expired, another name). For tests only.</summary>
    [Parameter]
    public SwitchParameter SkipCertificateCheck { get; set; }

    /// <summary>Resume TLS sessions (tickets) on new connections: with -Pattern Handshake, measures resumed handshakes.</summary>
    [Parameter]
    public SwitchParameter TlsResumption { get; set; }

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

    /// <summary>Stop after this many requests have completed or failed.</summary>
    [Parameter]
    [ValidateRange(1, long.MaxValue)]
    public long Requests { get; set; }

    [Parameter]
    [ValidateRange(1, 16 * 1024 * 1024)]
    public int MessageSize { get; set; } = 1024;

    /// <summary>Default: from a piped server's protocol (Echo: PingPong, or Pipelined with -Pipeline; Http: Http), else PingPong.</summary>
    [Parameter]
    public LoadPattern Pattern { get; set; } = LoadPattern.PingPong;

    /// <summary>Requests in flight per connection for Pipelined and Http.</summary>
    [Parameter]
    [ValidateRange(1, 1024)]
    public int Pipeline { get; set; } = 1;

    /// <summary>How long a request may wait with no byte of its reply before it fails as a ResponseTimeout and its connection closes.</summary>
    [Parameter]
    [TimeSpanArgument]
    [ValidateTimeSpanRange(MinSeconds = 0.001, MaxSeconds = 86400)]
    public TimeSpan ResponseTimeout { get; set; } = LoadOptions.DefaultResponseTimeout;

    /// <summary>Source addresses to spread connections over (e.g. 127.0.0.1, 127.0.0.2): more ephemeral ports.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public IPAddress[]? SourceAddress { get; set; }

    /// <summary>The kernel API the generator's pollers run on (Auto: io_uring where allowed, its handlers run inline).</summary>
    [Parameter]
    public PollerBackendKind Backend { get; set; } = PollerBackendKind.Auto;

    /// <summary>Run the generator in a separate process (needed for counts near this process's fd limit).</summary>
    [Parameter]
    public SwitchParameter Isolated { get; set; }

    protected override void ProcessRecord()
    {
        NetpollServer? server = ParameterSetName == ServerSet ? InputObject : null;
        if (!TryTarget(server, out string? target, out bool tls, out string? tlsHost) || !TryChoosePattern(server, out LoadPattern pattern) || !TryResolve(target, out EndPoint? endPoint))
        {
            return;
        }

        var request = new LoadRequest
        {
            Target = LoadTarget.Format(endPoint),
            Connections = Connections,
            ConnectRate = ConnectRate,
            DurationSeconds = Duration > TimeSpan.Zero ? Duration.TotalSeconds : (Requests > 0 ? null : 10),
            Requests = Requests,
            MessageSize = MessageSize,
            Pattern = pattern,
            Pipeline = Pipeline,
            ResponseTimeoutSeconds = ResponseTimeout.TotalSeconds,
            SourceAddresses = SourceAddress?.Select(a => a.ToString()).ToArray() ?? [],
            Tls = tls,
            TlsTargetHost = tlsHost,
            SkipCertificateCheck = SkipCertificateCheck,
            TlsResumption = TlsResumption,
            PinnedCertificateSha256 = server?.Certificate?.GetCertHashString(HashAlgorithmName.SHA256),
            Backend = Backend,
        };

        LoadOptions options;
        try
        {
            options = request.ToOptions();
            options.Validate();
        }
        catch (ArgumentException ex)
        {
            ThrowTerminatingError(new ErrorRecord(ex, ErrorIds.LoadFailed, ErrorCategory.InvalidArgument, target));
            return;
        }

        LoadResult? result = Run(request, options, target);
        if (result is null)
        {
            return;
        }

        if (Stopping)
        {
            LoadResultDelivery.AfterCtrlC(this, result);
            return;
        }

        LoadResultDelivery.Remember(this, result);
        WriteObject(result);
        if (LoadResultDelivery.FailureOf(result, ResponseTimeout) is { } failure)
        {
            WriteError(failure);
        }
    }

    protected override void StopProcessing() => _cancel.Cancel();

    /// <summary>Runs the test; only this (pipeline) thread writes progress, the generator hands it over a queue.</summary>
    private LoadResult? Run(LoadRequest request, LoadOptions options, string target)
    {
        using var events = new BlockingCollection<LoadProgress>();
        void Report(LoadProgress progress)
        {
            try
            {
                events.Add(progress);
            }
            catch (InvalidOperationException)
            {
                // The run completed meanwhile: its last progress report is not needed.
            }
        }

        Task<LoadResult> running = Isolated
            ? IsolatedLoadRunner.RunAsync(request, MyInvocation.MyCommand.Module, Report, _cancel.Token)
            : LoadGenerator.RunAsync(options, Report, _cancel.Token);
        _ = running.ContinueWith(_ => events.CompleteAdding(), TaskScheduler.Default);

        // A new record per write: hosts may keep the records they were given.
        string activity = $"Netpoll load: {request.Pattern} against {target}";
        Progress(new ProgressRecord(1, activity, "Connecting"));
        ProgressRecord? last = null;
        foreach (LoadProgress p in events.GetConsumingEnumerable())
        {
            last = new ProgressRecord(1, activity, string.Create(CultureInfo.CurrentCulture, $"{p.ConnectionsOpen}/{p.ConnectionsTarget} connections, {p.Requests:N0} requests, {p.RequestsPerSecond:N0}/s, {p.Errors} errors"))
            {
                PercentComplete = PercentOf(p),
                SecondsRemaining = p.Duration is { } d ? (int)Math.Max(0, (d - p.Elapsed).TotalSeconds) : -1,
            };
            Progress(last);
        }

        Progress(new ProgressRecord(1, activity, last?.StatusDescription ?? "Done") { RecordType = ProgressRecordType.Completed });
        try
        {
            return running.GetAwaiter().GetResult() with { Isolated = Isolated };
        }
        catch (Exception ex) when (ex is InvalidOperationException or IOException or System.ComponentModel.Win32Exception)
        {
            if (!Stopping)
            {
                WriteError(new ErrorRecord(ex, ErrorIds.LoadFailed, ErrorCategory.OperationStopped, target));
            }

            return null;
        }
    }

    /// <summary>Writes progress unless Ctrl+C was pressed: a stopping pipeline refuses every write, and the run must still end here.</summary>
    private void Progress(ProgressRecord record)
    {
        if (Stopping)
        {
            return;
        }

        try
        {
            WriteProgress(record);
        }
        catch (PipelineStoppedException)
        {
            // Stopped between the check and the write: keep draining until the run ends.
        }
    }

    /// <summary>
    /// Where the load goes and whether over TLS: a piped server as it serves (its own certificate is the one trusted),
    /// -Uri by its scheme, -Target as plain TCP. TLS switches without TLS are this item's error.
    /// </summary>
    private bool TryTarget(NetpollServer? server, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out string? target, out bool tls, out string? tlsHost)
    {
        tlsHost = null;
        if (server is not null)
        {
            (target, tls) = (server.ReachableTarget, server.Tls);
        }
        else if (Uri is { } uri)
        {
            if (!uri.IsAbsoluteUri || uri.Scheme is not ("http" or "https"))
            {
                WriteError(new ErrorRecord(new ArgumentException($"'{uri}' is not an http:// or https:// URI."), ErrorIds.InvalidTarget, ErrorCategory.InvalidArgument, uri));
                (target, tls) = (null, false);
                return false;
            }

            if (uri.AbsolutePath != "/" || uri.Query.Length > 0)
            {
                WriteWarning($"The load generator requests GET / on every connection; the path and query of '{uri}' are not used.");
            }

            target = $"{uri.Host}:{uri.Port}";
            tls = uri.Scheme == "https";
            tlsHost = uri.HostNameType == UriHostNameType.Dns ? uri.IdnHost : null;
        }
        else
        {
            (target, tls) = (Target!, false);
        }

        if (!tls && (SkipCertificateCheck || TlsResumption))
        {
            WriteError(new ErrorRecord(new ArgumentException($"-SkipCertificateCheck and -TlsResumption apply to TLS: give -Uri https://..., or pipe a server started with -Certificate."),
                ErrorIds.InvalidTarget, ErrorCategory.InvalidArgument, target));
            return false;
        }

        return true;
    }

    /// <summary>The pattern a piped server's protocol calls for, or the one given when it fits; a mismatch is this item's error.</summary>
    private bool TryChoosePattern(NetpollServer? server, out LoadPattern pattern)
    {
        pattern = Pattern;
        if (server is null)
        {
            // A URI names an HTTP server: HTTP load unless a pattern is named (Handshake, Idle).
            if (Uri is not null && !MyInvocation.BoundParameters.ContainsKey(nameof(Pattern)))
            {
                pattern = LoadPattern.Http;
            }

            return true;
        }

        bool named = MyInvocation.BoundParameters.ContainsKey(nameof(Pattern));
        if (server.Protocol is null)
        {
            if (named)
            {
                return true; // the user's own handler: only the user knows what it speaks
            }

            WriteError(new ErrorRecord(
                new ArgumentException($"Server '{server.Name}' runs its own handler ({server.Handler}); give -Pattern for what it speaks."),
                ErrorIds.PatternMismatch, ErrorCategory.InvalidArgument, server));
            return false;
        }

        LoadPattern? fits = server.Protocol switch
        {
            NetpollProtocol.Echo => Pipeline > 1 ? LoadPattern.Pipelined : LoadPattern.PingPong,
            NetpollProtocol.Http => LoadPattern.Http,
            _ => null, // Discard reads and never replies: no request can complete against it
        };
        if (!named && fits is { } chosen)
        {
            pattern = chosen;
            return true;
        }

        bool compatible = Pattern == LoadPattern.Idle || fits switch
        {
            LoadPattern.Http => Pattern is LoadPattern.Http or LoadPattern.Handshake,
            LoadPattern.PingPong or LoadPattern.Pipelined => Pattern is LoadPattern.PingPong or LoadPattern.Pipelined,
            _ => false,
        };
        if (named && compatible)
        {
            return true;
        }

        string advice = fits is { } f
            ? $"-Pattern {Pattern} expects {Expects(Pattern)}. Leave -Pattern out to use {f}, or give -Pattern Idle to hold connections."
            : "It reads and never replies, so no request can complete against it. Give -Pattern Idle to hold connections, or load an Echo or Http server.";
        WriteError(new ErrorRecord(
            new ArgumentException($"Server '{server.Name}' speaks {server.Protocol}. {advice}"),
            ErrorIds.PatternMismatch, ErrorCategory.InvalidArgument, server));
        return false;
    }

    private static string Expects(LoadPattern pattern) => pattern is LoadPattern.Http or LoadPattern.Handshake ? "an HTTP server" : "an echo server";

    /// <summary>Parses the target and resolves a host name once, before anything runs; a bad one is this item's error.</summary>
    private bool TryResolve(string target, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out EndPoint? endPoint)
    {
        try
        {
            endPoint = LoadTarget.Resolve(target);
            return true;
        }
        catch (FormatException ex)
        {
            WriteError(new ErrorRecord(ex, ErrorIds.InvalidTarget, ErrorCategory.InvalidArgument, target));
        }
        catch (SocketException ex)
        {
            WriteError(new ErrorRecord(new ArgumentException($"'{target}' could not be resolved: {ex.Message}", ex), ErrorIds.InvalidTarget, ErrorCategory.ObjectNotFound, target));
        }

        endPoint = null;
        return false;
    }

    private int PercentOf(LoadProgress p)
    {
        double byTime = p.Duration is { } d && d > TimeSpan.Zero ? p.Elapsed / d : 0;
        double byCount = Requests > 0 ? (double)p.Requests / Requests : 0;
        return (int)Math.Clamp(100 * Math.Max(byTime, byCount), 0, 100);
    }

    public void Dispose() => _cancel.Dispose();
}
