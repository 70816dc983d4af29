using System.Collections;
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
using Netpoll.Tls;

namespace Netpoll.PowerShell;

/// <summary>
/// Invoke-NetpollLoad: drives a service with the C# load generator (never PowerShell in the hot path) — a
/// server started here (piped), any host:port with an echo or a user's payload, or HTTP/1.1 requests by
/// -Uri or -TargetFile — closed loop, or at a fixed -Rate / -Stage schedule with honest latency. Shows a
/// progress bar per target and returns one LoadResult per target, with threshold verdicts (-Threshold;
/// -FailOnThreshold makes a failed one a terminating error). A run in which no request completed also
/// writes a NetpollLoadFailed error. Ctrl+C stops the run; PowerShell then accepts no output, so the
/// measured result goes to -OutVariable and $NetpollLastLoadResult (see <see cref="LoadResultDelivery"/>).
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
    private const string TargetFileSet = "TargetFile";

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

    /// <summary>HTTP/1.1 requests to http:// or https:// URIs of one origin, taken round-robin (or by -Weight).</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = UriSet)]
    [ValidateNotNullOrEmpty]
    [ValidateLoadUri]
    public Uri[]? Uri { get; set; }

    /// <summary>How often each -Uri is sent relative to the others (one weight per URI).</summary>
    [Parameter(ParameterSetName = UriSet)]
    [ValidateNotNullOrEmpty]
    [ValidateRange(1, LoadHttpRequest.MaxWeight)]
    public int[]? Weight { get; set; }

    /// <summary>Requests from a file: vegeta's format (METHOD URL, header lines, @bodyfile) or CSV (Uri, Method, Weight, Body, BodyFile, headers).</summary>
    [Parameter(Mandatory = true, ParameterSetName = TargetFileSet)]
    [ValidateNotNullOrEmpty]
    public string? TargetFile { get; set; }

    /// <summary>The HTTP method of the -Uri requests.</summary>
    [Parameter(ParameterSetName = UriSet)]
    [ValidateHttpMethod]
    [ArgumentCompleter(typeof(HttpMethodCompleter))]
    public string Method { get; set; } = "GET";

    /// <summary>Headers for every request (a target file's own headers of the same name win).</summary>
    [Parameter(ParameterSetName = UriSet)]
    [Parameter(ParameterSetName = TargetFileSet)]
    [ValidateNotNull]
    [ValidateHttpHeaders]
    public IDictionary? Header { get; set; }

    /// <summary>The body of the -Uri requests: text (sent as UTF-8, as is) or bytes.</summary>
    [Parameter(ParameterSetName = UriSet)]
    [EscapedBytesArgument(Literal = true)]
    [ValidateNotNull]
    public byte[]? Body { get; set; }

    /// <summary>A file whose bytes are the body of the -Uri requests.</summary>
    [Parameter(ParameterSetName = UriSet)]
    [ValidateNotNullOrEmpty]
    public string? BodyFile { get; set; }

    /// <summary>What each request sends, for any request/response protocol over TCP: text with escapes (\r \n \t \0 \\ \xHH) or bytes.</summary>
    [Parameter(ParameterSetName = TargetSet)]
    [Parameter(ParameterSetName = ServerSet)]
    [EscapedBytesArgument]
    [ValidateNotNull]
    [ValidateCount(1, 16 * 1024 * 1024)]
    public byte[]? Payload { get; set; }

    /// <summary>A file whose bytes each request sends (the -Payload pattern).</summary>
    [Parameter(ParameterSetName = TargetSet)]
    [Parameter(ParameterSetName = ServerSet)]
    [ValidateNotNullOrEmpty]
    public string? PayloadFile { get; set; }

    /// <summary>-Payload replies are exactly this many bytes.</summary>
    [Parameter(ParameterSetName = TargetSet)]
    [Parameter(ParameterSetName = ServerSet)]
    [ValidateRange(1, long.MaxValue)]
    public long ResponseSize { get; set; }

    /// <summary>-Payload replies end with these bytes: text with escapes ('\r\n') or bytes.</summary>
    [Parameter(ParameterSetName = TargetSet)]
    [Parameter(ParameterSetName = ServerSet)]
    [EscapedBytesArgument]
    [ValidateNotNull]
    [ValidateCount(1, 1024)]
    public byte[]? ResponseDelimiter { get; set; }

    /// <summary>The server speaks first (SMTP's 220, an SSH banner): each connection reads one greeting, framed as the replies are, before its first -Payload request.</summary>
    [Parameter(ParameterSetName = TargetSet)]
    [Parameter(ParameterSetName = ServerSet)]
    public SwitchParameter Greeting { get; set; }

    /// <summary>Accept any server certificate (self-signed, expired, another name) of an https:// target. For tests only.</summary>
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

    /// <summary>Seconds (or a TimeSpan) the test runs, ramp included. Default 10 s unless -Requests or -Stage is given.</summary>
    [Parameter]
    [TimeSpanArgument(ParameterName = nameof(Duration))]
    [ValidateTimeSpanRange(MaxSeconds = 86400)]
    public TimeSpan Duration { get; set; }

    /// <summary>Stop after this many requests have completed or failed.</summary>
    [Parameter]
    [ValidateRange(1, long.MaxValue)]
    public long Requests { get; set; }

    /// <summary>Requests per second across all connections, whatever the server does (open model; latency counts from each request's intended send time).</summary>
    [Parameter]
    [ValidateRange(0.001, LoadOptions.MaxRate)]
    public double Rate { get; set; }

    /// <summary>Fixed-rate ramps: @{ Duration = '30s'; Rate = 1000 }, ... (from -Rate, or 0); the test lasts their total.</summary>
    [Parameter]
    [LoadStageArgument]
    [ValidateNotNullOrEmpty]
    public LoadStage[]? Stage { get; set; }

    [Parameter(ParameterSetName = TargetSet)]
    [Parameter(ParameterSetName = ServerSet)]
    [ValidateRange(1, 16 * 1024 * 1024)]
    public int MessageSize { get; set; } = 1024;

    /// <summary>Default: from -Payload (Payload), a piped server's protocol (Echo: PingPong, or Pipelined with -Pipeline; Http: Http), else PingPong. -Uri and -TargetFile are Http, or Handshake (a new connection per request) when named.</summary>
    [Parameter(ParameterSetName = TargetSet)]
    [Parameter(ParameterSetName = ServerSet)]
    [Parameter(ParameterSetName = UriSet)]
    [Parameter(ParameterSetName = TargetFileSet)]
    public LoadPattern Pattern { get; set; } = LoadPattern.PingPong;

    /// <summary>Requests in flight per connection for Pipelined, Http and Payload.</summary>
    [Parameter]
    [ValidateRange(1, 1024)]
    public int Pipeline { get; set; } = 1;

    /// <summary>
    /// Never send a request twice. By default, as Go's net/http (k6) does, an idempotent HTTP request (GET, HEAD, OPTIONS,
    /// TRACE, PUT, DELETE) that a reused keep-alive connection lost to its close before any of its response came is sent
    /// again first on the next connection (RFC 9112 §9.3.1), counted in RequestsRetried; with -NoRetry it fails as
    /// ClosedEarly (or Reset). POST, PATCH and -Payload requests are never retried.
    /// </summary>
    [Parameter]
    public SwitchParameter NoRetry { get; set; }

    /// <summary>
    /// How long one connect may take before it fails as a ConnectTimeout (or, while no address of the target has accepted,
    /// goes on to its next address); over TLS, the handshake after it may take as long again (a TlsHandshakeTimeout).
    /// </summary>
    [Parameter]
    [TimeSpanArgument(ParameterName = nameof(ConnectTimeout))]
    [ValidateTimeSpanRange(MinSeconds = 0.001, MaxSeconds = 86400)]
    public TimeSpan ConnectTimeout { get; set; } = LoadOptions.DefaultConnectTimeout;

    /// <summary>How long a request may wait for its whole reply before it fails as a ResponseTimeout and its connection closes.</summary>
    [Parameter]
    [TimeSpanArgument(ParameterName = nameof(ResponseTimeout))]
    [ValidateTimeSpanRange(MinSeconds = 0.001, MaxSeconds = 86400)]
    public TimeSpan ResponseTimeout { get; set; } = LoadOptions.DefaultResponseTimeout;

    /// <summary>Pass/fail conditions on the result: @{ LatencyP99 = '50ms'; ErrorRate = '0.1%'; RequestsPerSecond = '>=1000' }.</summary>
    [Parameter]
    [LoadThresholdArgument]
    [ValidateNotNullOrEmpty]
    public LoadThreshold[]? Threshold { get; set; }

    /// <summary>A failed -Threshold is a terminating error naming it (after the result is written).</summary>
    [Parameter]
    public SwitchParameter FailOnThreshold { get; set; }

    /// <summary>Writes HdrHistogram's interval log (.hlog) of the latencies to this file (replaced), for HistogramLogProcessor and other tools.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? HistogramPath { get; set; }

    /// <summary>Source addresses to spread connections over (e.g. 127.0.0.1, 127.0.0.2): more ephemeral ports.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public IPAddress[]? SourceAddress { get; set; }

    /// <summary>The kernel API the generator's pollers run on (Auto: io_uring where allowed, its handlers run inline).</summary>
    [Parameter]
    public PollerBackendKind Backend { get; set; } = PollerBackendKind.Auto;

    /// <summary>When requests begin (so generators on several machines start together): connections open before it; the duration counts from it. In the future, at most an hour ahead.</summary>
    [Parameter]
    [ValidateStartAt]
    public DateTime StartAt { get; set; }

    /// <summary>Names this run's part of a test that runs on several nodes; the result's Tag, and its name in a merged result's Nodes.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Tag { get; set; }

    /// <summary>Run the generator in a separate process (needed for counts near this process's fd limit).</summary>
    [Parameter]
    public SwitchParameter Isolated { get; set; }

    protected override void ProcessRecord()
    {
        NetpollServer? server = ParameterSetName == ServerSet ? InputObject : null;
        if (!TryBuildOptions(server, out LoadOptions? options, out string? target))
        {
            return;
        }

        LoadResult? result = Run(options, target, server);
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
        if (Backend == PollerBackendKind.IoUring && result.Backend != PollerBackendKind.IoUring)
        {
            // As Start-NetpollServer warns: the run is valid, but not on the kernel API asked for.
            WriteWarning($"The load generator ran on {result.Backend}, not io_uring: {result.BackendReason}");
        }

        WriteObject(result);
        if (LoadResultDelivery.FailureOf(result, ResponseTimeout) is { } failure)
        {
            WriteError(failure);
        }

        if (LoadResultDelivery.ThresholdFailure(result) is { } failed)
        {
            if (FailOnThreshold)
            {
                ThrowTerminatingError(failed);
            }

            WriteWarning(failed.Exception.Message);
        }
    }

    protected override void StopProcessing() => _cancel.Cancel();

    /// <summary>The options for this item, or false after writing why they cannot run.</summary>
    private bool TryBuildOptions(NetpollServer? server, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out LoadOptions? options, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out string? target)
    {
        options = null;
        target = null;
        try
        {
            IReadOnlyList<LoadHttpRequest> requests = ParameterSetName switch
            {
                UriSet => UriRequests(),
                TargetFileSet => FileRequests(),
                _ => [],
            };
            target = requests.Count > 0 ? HostAndPort(requests[0].Uri) : server?.ReachableTarget ?? Target!;
            byte[] payload = PayloadFile is { } file ? ReadFile(file, nameof(PayloadFile)) : Payload ?? [];
            if (!TryChoosePattern(server, requests.Count > 0, payload.Length > 0, out LoadPattern pattern) || !TryTls(server, requests, target, out TlsClientOptions? tls) || !TryResolve(target, out IReadOnlyList<EndPoint>? endPoints))
            {
                return false;
            }

            if (Greeting && pattern != LoadPattern.Payload)
            {
                throw new ArgumentException($"-Greeting reads a server's greeting before the first -Payload request: give -Payload or -PayloadFile with it (the {pattern} pattern's server does not speak first).");
            }

            bool staged = Stage is { Length: > 0 };
            bool timed = MyInvocation.BoundParameters.ContainsKey(nameof(Duration));
            if (staged && timed)
            {
                throw new ArgumentException("-Stage sets the duration (the stages' total): leave -Duration out.");
            }

            options = new LoadOptions
            {
                Target = endPoints[0],
                FallbackTargets = [.. endPoints.Skip(1)],
                Connections = Connections,
                ConnectRate = ConnectRate,
                Duration = staged ? null : timed ? Duration : (Requests > 0 ? null : TimeSpan.FromSeconds(10)),
                Requests = Requests,
                MessageSize = MessageSize,
                Pattern = pattern,
                Pipeline = Pipeline,
                RetryIdempotent = !NoRetry,
                ConnectTimeout = ConnectTimeout,
                ResponseTimeout = ResponseTimeout,
                SourceAddresses = SourceAddress ?? [],
                Backend = Backend,
                ProgressInterval = TimeSpan.FromSeconds(0.5),
                HttpRequests = requests,
                Payload = payload,
                ResponseSize = ResponseSize,
                ResponseDelimiter = ResponseDelimiter ?? [],
                ReadGreeting = Greeting,
                Rate = Rate,
                Stages = Stage ?? [],
                Thresholds = Threshold ?? [],
                HistogramLogPath = HistogramPath is { } path ? SessionState.Path.GetUnresolvedProviderPathFromPSPath(path) : null,
                Tls = tls,
                StartAt = MyInvocation.BoundParameters.ContainsKey(nameof(StartAt)) ? new DateTimeOffset(StartAt) : null,
            };
            options.Validate();
            return true;
        }
        catch (ArgumentException ex)
        {
            ThrowTerminatingError(new ErrorRecord(ex, ErrorIds.LoadFailed, ErrorCategory.InvalidArgument, target ?? Target));
        }
        catch (Exception ex) when (ex is FormatException or IOException or UnauthorizedAccessException or ItemNotFoundException)
        {
            // A target file that is not one, or a file that cannot be read: nothing ran.
            WriteError(new ErrorRecord(ex, ErrorIds.InvalidTarget, ex is ItemNotFoundException or FileNotFoundException ? ErrorCategory.ObjectNotFound : ErrorCategory.InvalidData, TargetFile ?? BodyFile ?? PayloadFile));
        }

        return false;
    }

    /// <summary>
    /// TLS for this item: a piped server started with -Certificate (its own certificate the one trusted, self-signed or
    /// not, unless -SkipCertificateCheck), or https:// requests; null for plain TCP. TLS switches without TLS are this item's error.
    /// </summary>
    private bool TryTls(NetpollServer? server, IReadOnlyList<LoadHttpRequest> requests, string target, out TlsClientOptions? tls)
    {
        tls = null;
        if (server?.Tls ?? (requests.Count > 0 && requests[0].Uri.Scheme == System.Uri.UriSchemeHttps))
        {
            // The URI's host name is the TLS name (SNI and the certificate check): the generator takes it when none is given.
            // -ConnectTimeout bounds the handshake too, each phase on its own, so a server that accepts and never answers it is bounded alike.
            tls = LoadRequest.TlsOptions(null, SkipCertificateCheck, TlsResumption, PinnedCertificate(server), ConnectTimeout);
            return true;
        }

        if (SkipCertificateCheck || TlsResumption)
        {
            WriteError(new ErrorRecord(new ArgumentException("-SkipCertificateCheck and -TlsResumption apply to TLS: give an https:// -Uri, or pipe a server started with -Certificate."),
                ErrorIds.InvalidTarget, ErrorCategory.InvalidArgument, target));
            return false;
        }

        return true;
    }

    private static string? PinnedCertificate(NetpollServer? server) => server?.Certificate?.GetCertHashString(HashAlgorithmName.SHA256);

    private List<LoadHttpRequest> UriRequests()
    {
        Uri[] uris = Uri!;
        if (Weight is { } weights && weights.Length != uris.Length)
        {
            throw new ArgumentException($"-Weight gives {weights.Length} weights for {uris.Length} URIs: give one weight per URI, in the same order.");
        }

        byte[] body = BodyFile is { } file ? ReadFile(file, nameof(BodyFile)) : Body ?? [];
        if (Body is not null && BodyFile is not null)
        {
            throw new ArgumentException("Give -Body or -BodyFile, not both.");
        }

        return [.. uris.Select((uri, i) => new LoadHttpRequest { Method = Method, Uri = uri, Headers = Headers(), Body = body, Weight = Weight?[i] ?? 1 })];
    }

    private List<LoadHttpRequest> FileRequests()
    {
        string path = GetResolvedProviderPathFromPSPath(TargetFile!, out _).Single();
        IReadOnlyList<KeyValuePair<string, string>> common = Headers();
        return [.. LoadTargetFile.Read(path).Select(r => r with
        {
            // -Header adds to every target; a header the file gives its target wins.
            Headers = [.. common.Where(h => !r.Headers.Any(own => own.Key.Equals(h.Key, StringComparison.OrdinalIgnoreCase))), .. r.Headers],
        })];
    }

    private List<KeyValuePair<string, string>> Headers() =>
        Header is null ? [] : [.. Header.Cast<DictionaryEntry>().Select(e => new KeyValuePair<string, string>(e.Key.ToString() ?? "", ValidateHttpHeadersAttribute.ToText(e.Value) ?? ""))];

    private byte[] ReadFile(string path, string parameter)
    {
        string resolved = GetResolvedProviderPathFromPSPath(path, out ProviderInfo provider).Single();
        return provider.Name == "FileSystem"
            ? File.ReadAllBytes(resolved)
            : throw new ArgumentException($"-{parameter} '{path}' is not a file on the file system.");
    }

    /// <summary>host:port of an http URI, as a target is written (IPv6 in brackets).</summary>
    private static string HostAndPort(Uri uri) => string.Create(CultureInfo.InvariantCulture, $"{uri.Host}:{uri.Port}");

    /// <summary>Runs the test; only this (pipeline) thread writes progress, the generator hands it over a queue.</summary>
    private LoadResult? Run(LoadOptions options, string target, NetpollServer? server)
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
            ? IsolatedLoadRunner.RunAsync(LoadRequest.From(options, PinnedCertificate(server)), MyInvocation.MyCommand.Module, Report, _cancel.Token)
            : LoadGenerator.RunAsync(options, Report, _cancel.Token);
        _ = running.ContinueWith(_ => events.CompleteAdding(), TaskScheduler.Default);

        // A new record per write: hosts may keep the records they were given.
        string activity = options.IsFixedRate
            ? $"Netpoll load: {options.Pattern} against {target} at a fixed rate"
            : $"Netpoll load: {options.Pattern} against {target}";
        Progress(new ProgressRecord(1, activity, options.StartAt is { } at ? string.Create(CultureInfo.CurrentCulture, $"Connecting; requests begin at {at.ToLocalTime():HH:mm:ss.fff}") : "Connecting"));
        ProgressRecord? last = null;
        foreach (LoadProgress p in events.GetConsumingEnumerable())
        {
            last = new ProgressRecord(1, activity, Describe(p))
            {
                PercentComplete = PercentOf(p),
                SecondsRemaining = p.Duration is { } d ? (int)Math.Max(0, (d - p.Elapsed).TotalSeconds) : -1,
            };
            Progress(last);
        }

        Progress(new ProgressRecord(1, activity, last?.StatusDescription ?? "Done") { RecordType = ProgressRecordType.Completed });
        try
        {
            return running.GetAwaiter().GetResult() with { Isolated = Isolated, Tag = Tag };
        }
        catch (LoadStopTimeoutException ex)
        {
            // The run measured: its result still goes out, with an error saying the generator's close overran.
            if (!Stopping)
            {
                WriteError(new ErrorRecord(ex, ErrorIds.StopTimedOut, ErrorCategory.OperationTimeout, target));
            }

            return ex.Result with { Isolated = Isolated, Tag = Tag };
        }
        catch (Exception ex) when (ex is InvalidOperationException or IOException or UnauthorizedAccessException or System.ComponentModel.Win32Exception)
        {
            if (!Stopping)
            {
                WriteError(new ErrorRecord(ex, ErrorIds.LoadFailed, ErrorCategory.OperationStopped, target));
            }

            return null;
        }
    }

    /// <summary>
    /// The progress bar's status: for a fixed rate the schedule's lag and rate first (pwsh cuts a status to the window's
    /// width, and an 80-column bar cut the lag off the end), then connections, requests, rate and errors.
    /// </summary>
    private static string Describe(LoadProgress p)
    {
        string text = string.Create(CultureInfo.CurrentCulture, $"{p.ConnectionsOpen}/{p.ConnectionsTarget} connections, {p.Requests:N0} requests, {p.RequestsPerSecond:N0}/s, {p.Errors} errors");
        return p.ScheduleLag is { } lag
            ? string.Create(CultureInfo.CurrentCulture, $"lag {lag.TotalMilliseconds:N0} ms, schedule {p.TargetRate:N0}/s, ") + text
            : text;
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
    /// The pattern: Http for requests, Payload for a payload, else what a piped server's protocol calls for or
    /// the one given when it fits; a mismatch is this item's error.
    /// </summary>
    private bool TryChoosePattern(NetpollServer? server, bool http, bool payload, out LoadPattern pattern)
    {
        bool named = MyInvocation.BoundParameters.ContainsKey(nameof(Pattern));
        pattern = http ? (named && Pattern == LoadPattern.Handshake ? LoadPattern.Handshake : LoadPattern.Http) : payload ? LoadPattern.Payload : Pattern;
        if (payload && named && Pattern != LoadPattern.Payload)
        {
            throw new ArgumentException($"-Payload sends its own bytes (the Payload pattern), not {Pattern}: leave -Pattern out.");
        }

        if (http && named && Pattern is not (LoadPattern.Http or LoadPattern.Handshake))
        {
            throw new ArgumentException($"HTTP requests are sent by the Http pattern (a connection per request with -Pattern Handshake), not {Pattern}.");
        }

        if (server is null || http || payload)
        {
            return true;
        }

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

    private static string Expects(LoadPattern pattern) => pattern switch
    {
        LoadPattern.Http or LoadPattern.Handshake => "an HTTP server",
        LoadPattern.Payload => "a server that answers the payload",
        _ => "an echo server",
    };

    /// <summary>Parses the target and resolves a host name once, before anything runs, to every address it has (tried in order as connects fail); a bad one is this item's error.</summary>
    private bool TryResolve(string target, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out IReadOnlyList<EndPoint>? endPoints)
    {
        try
        {
            endPoints = LoadTarget.ResolveAll(target);
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

        endPoints = null;
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
