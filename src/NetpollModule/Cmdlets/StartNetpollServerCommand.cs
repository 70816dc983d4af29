using System.Management.Automation;
using System.Net;
using System.Net.Sockets;
using System.Security;
using Netpoll.Connections;
using Netpoll.Polling;
using Netpoll.Protocols;
using Netpoll.Server;
using Netpoll.Telemetry;
using Netpoll.Tls;

namespace Netpoll.PowerShell;

/// <summary>Start-NetpollServer: starts an in-process multi-reactor server and returns at once.</summary>
[Cmdlet(VerbsLifecycle.Start, "NetpollServer", SupportsShouldProcess = true, DefaultParameterSetName = TcpSet, HelpUri = HelpLinks.Module)]
[OutputType(typeof(NetpollServer))]
public sealed class StartNetpollServerCommand : PSCmdlet
{
    private const string TcpSet = "Tcp";
    private const string UnixSet = "Unix";
    private readonly ManualResetEventSlim _stopRequested = new();

    /// <summary>A unique name; default netpoll-N.</summary>
    [Parameter(Position = 0)]
    [ValidateNotNullOrEmpty]
    [ValidatePattern(@"^[\w.\-]+$")]
    public string? Name { get; set; }

    [Parameter(ParameterSetName = TcpSet)]
    [ValidateNotNullOrEmpty]
    public string Address { get; set; } = "127.0.0.1";

    /// <summary>0 picks a free port; the server object carries the real one.</summary>
    [Parameter(ParameterSetName = TcpSet)]
    [ValidateRange(0, 65535)]
    public int Port { get; set; }

    [Parameter(Mandatory = true, ParameterSetName = UnixSet)]
    [ValidateNotNullOrEmpty]
    public string? UnixSocket { get; set; }

    [Parameter]
    public NetpollProtocol Protocol { get; set; } = NetpollProtocol.Echo;

    /// <summary>HTTP mock routes: hashtables of 'METHOD /path' = answer (implies -Protocol Http).</summary>
    [Parameter]
    [RouteArgument]
    public object[]? Route { get; set; }

    /// <summary>The user's own ConnectionHandler (an instance or a type), instead of a built-in protocol.</summary>
    [Parameter]
    [HandlerArgument]
    public ConnectionHandler? Handler { get; set; }

    /// <summary>Most route scriptblocks running at once (the server's script runspaces, each on its own thread).</summary>
    [Parameter]
    [ValidateRange(1, 64)]
    public int ScriptThreads { get; set; } = 4;

    /// <summary>The $State hashtable route scriptblocks share (synchronized; the caller keeps a view of it).</summary>
    [Parameter]
    [ValidateNotNull]
    public System.Collections.Hashtable? State { get; set; }

    /// <summary>HTTP: time a client has to send a request head; slower gets 408 and a close (slowloris). Zero: off.</summary>
    [Parameter]
    [TimeSpanArgument(ParameterName = nameof(RequestHeadTimeout))]
    [ValidateTimeSpanRange]
    public TimeSpan RequestHeadTimeout { get; set; } = new HttpServerOptions().RequestHeadTimeout;

    /// <summary>HTTP: how long a keep-alive connection may idle between requests before it is closed (silently). Zero: off.</summary>
    [Parameter]
    [TimeSpanArgument(ParameterName = nameof(KeepAliveTimeout))]
    [ValidateTimeSpanRange]
    public TimeSpan KeepAliveTimeout { get; set; } = new HttpServerOptions().KeepAliveTimeout;

    /// <summary>HTTP: bytes per second a request body must average after a 5 s grace period; slower gets 408. Zero: off.</summary>
    [Parameter]
    [ValidateRange(0, 1_000_000_000)]
    public double MinBodyDataRate { get; set; } = new HttpServerOptions().MinBodyDataRate;

    /// <summary>HTTP: largest request body read (and handed to scriptblocks); larger gets 413.</summary>
    [Parameter]
    [ValidateRange(0, int.MaxValue)]
    public long MaxBodySize { get; set; } = new HttpServerOptions().MaxBodyBytes;

    [Parameter]
    [ValidateRange(1, 256)]
    public int Pollers { get; set; } = new EventLoopOptions().Pollers;

    [Parameter]
    public LoadBalance LoadBalance { get; set; } = LoadBalance.RoundRobin;

    /// <summary>Listen backlog; 0 uses the system maximum (net.core.somaxconn).</summary>
    [Parameter]
    [ValidateRange(0, 1_000_000)]
    public int Backlog { get; set; }

    [Parameter(ParameterSetName = TcpSet)]
    public SwitchParameter ReusePort { get; set; }

    [Parameter]
    [TimeSpanArgument(ParameterName = nameof(IdleTimeout))]
    [ValidateTimeSpanRange]
    public TimeSpan IdleTimeout { get; set; }

    [Parameter]
    [TimeSpanArgument(ParameterName = nameof(ReadTimeout))]
    [ValidateTimeSpanRange]
    public TimeSpan ReadTimeout { get; set; }

    [Parameter]
    [ValidateRange(0, 10_000_000)]
    public int MaxConnections { get; set; }

    [Parameter]
    public DispatchMode Dispatch { get; set; } = DispatchMode.Auto;

    /// <summary>The kernel API the pollers run on; where io_uring is refused, epoll runs and the server's BackendReason says why.</summary>
    [Parameter]
    public PollerBackendKind Backend { get; set; } = PollerBackendKind.Auto;

    /// <summary>Export the Netpoll meter (process-wide, as Enable-NetpollTelemetry -MetricsExporter).</summary>
    [Parameter]
    public NetpollMetricsExporter MetricsExporter { get; set; }

    /// <summary>Log engine events at this level and above (process-wide, as Enable-NetpollTelemetry -LogLevel).</summary>
    [Parameter]
    public NetpollLogLevel LogLevel { get; set; }

    /// <summary>Serve TLS with this certificate: an X509Certificate2 (with its private key), or the path of a PFX or PEM file.</summary>
    [Parameter]
    [ValidateNotNull]
    public object? Certificate { get; set; }

    /// <summary>The password of a PFX file, or of an encrypted PEM key, given to -Certificate.</summary>
    [Parameter]
    public SecureString? CertificatePassword { get; set; }

    /// <summary>The PEM private key, when -Certificate is a PEM file without it.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? CertificateKeyPath { get; set; }

    /// <summary>A TLS handshake not done after this long closes its connection (counted as a timeout).</summary>
    [Parameter]
    [TimeSpanArgument(ParameterName = nameof(HandshakeTimeout))]
    [ValidateTimeSpanRange]
    public TimeSpan HandshakeTimeout { get; set; } = new TlsServerOptions().HandshakeTimeout;

    /// <summary>Block until Ctrl+C, then drain and stop.</summary>
    [Parameter]
    public SwitchParameter Wait { get; set; }

    protected override void EndProcessing()
    {
        // A name or port conflict is this server's error, not the statement's: -ErrorAction decides (as built-ins do).
        string name = Name ?? Registries.NextFreeName("netpoll");
        if (Registries.IsNameTaken(name))
        {
            WriteError(NameInUse(name, $"A Netpoll server or proxy named '{name}' is already running. Stop it or choose another -Name."));
            return;
        }

        EndPoint endPoint = ResolveEndPoint();
        NetpollProtocol? protocol = ChooseProtocol();
        string target = $"{protocol?.ToString() ?? Handler!.GetType().Name} server '{name}' on {DescribeEndPoint(endPoint)}";
        if (!ShouldProcess(target, "Start"))
        {
            return;
        }

        ServerCertificate.RefuseWithoutCertificate(this, Certificate, nameof(HandshakeTimeout));
        TlsServerOptions? tls = Certificate is null ? null : LoadTls(protocol);
        ServerTelemetryParameters.Apply(this, MetricsExporter, LogLevel);
        if (Listen(endPoint) is not { } listener)
        {
            return;
        }

        EventLoop? loop = null;
        var options = new EventLoopOptions
        {
            Name = name,
            Pollers = Pollers,
            LoadBalance = LoadBalance,
            MaxConnections = MaxConnections,
            Connection = new ConnectionOptions { IdleTimeout = IdleTimeout, ReadTimeout = ReadTimeout, Dispatch = Dispatch },
            Backend = Backend,
            Tls = tls,
        };
        System.Collections.Hashtable state = System.Collections.Hashtable.Synchronized(State ?? []);
        RouteDefinition[] routes = [.. (Route ?? []).Cast<RouteDefinition>()];
        ScriptRouteRunner? scripts = routes.Any(r => r.Script is not null) ? new ScriptRouteRunner(ScriptThreads, state) : null;
        var http = new HttpServerOptions { RequestHeadTimeout = RequestHeadTimeout, KeepAliveTimeout = KeepAliveTimeout, MinBodyDataRate = MinBodyDataRate, MaxBodyBytes = MaxBodySize };
        ConnectionHandler handler = Handler
            ?? (Route is not null ? new HttpHandler(new HttpRouteTable(routes.Select(r => r.Route ?? scripts!.Route(r.Pattern, r.Script!))), http)
            : protocol == NetpollProtocol.Http ? new HttpHandler(HttpHandler.CreateBuiltInRoutes(() => loop!.GetStats()), http)
            : ProtocolHandlers.Create(Protocol));
        try
        {
            loop = new EventLoop(handler, options);
        }
        catch (ArgumentException ex) when (tls is not null)
        {
            // OpenSSL refused the certificate or its key: nothing was started.
            listener.Dispose();
            ThrowTerminatingError(ServerCertificate.Invalid(ex, Certificate));
        }
        catch (PlatformNotSupportedException ex) when (tls is not null && ex.Message.Contains("OpenSSL", StringComparison.Ordinal))
        {
            // TLS needs OpenSSL 3 and this system has none (the message names what was looked for).
            listener.Dispose();
            ThrowTerminatingError(new ErrorRecord(ex, ErrorIds.TlsUnavailable, ErrorCategory.NotInstalled, Certificate));
        }
        catch (PlatformNotSupportedException ex)
        {
            listener.Dispose();
            scripts?.Dispose();
            WriteError(new ErrorRecord(ex, ErrorIds.BackendNotSupported, ErrorCategory.NotImplemented, Backend));
            return;
        }

        if (Backend == PollerBackendKind.IoUring && loop!.BackendInUse != PollerBackendKind.IoUring)
        {
            WriteWarning($"Server '{name}' runs on {loop.BackendInUse}, not io_uring: {loop.BackendReason}");
        }

        Task serving = loop!.ServeAsync(listener);
        var server = new NetpollServer(Registries.Servers.NextId(), name, protocol, handler, loop, listener, serving, scripts) { RouteState = state, ScriptThreads = ScriptThreads, Certificate = tls?.Certificate };
        if (!Registries.Servers.TryAdd(server))
        {
            loop.ShutdownAsync(TimeSpan.Zero).GetAwaiter().GetResult();
            server.Release();
            WriteError(NameInUse(name, $"A Netpoll server or proxy named '{name}' was started meanwhile. Choose another -Name."));
            return;
        }

        ModuleLifecycle.WarnBeforeStopping(MyInvocation.MyCommand.Module);
        WriteVerbose($"Started {server}.");
        WriteObject(server);
        if (Wait)
        {
            WaitUntilStopped(server);
        }
    }

    protected override void StopProcessing() => _stopRequested.Set();

    private void WaitUntilStopped(NetpollServer server)
    {
        Host.UI.WriteLine($"Serving {server.Protocol?.ToString() ?? server.Handler} on {server.EndPoint}. Press Ctrl+C to stop.");
        while (!_stopRequested.Wait(TimeSpan.FromMilliseconds(200)) && server.State == EventLoopState.Serving)
        {
        }

        Registries.Servers.Remove(server);
        server.Loop.ShutdownAsync(TimeSpan.FromSeconds(5)).GetAwaiter().GetResult();
    }

    /// <summary>The protocol the parameters ask for (null for -Handler); contradicting parameters end the command.</summary>
    private NetpollProtocol? ChooseProtocol()
    {
        bool protocolNamed = MyInvocation.BoundParameters.ContainsKey(nameof(Protocol));
        bool servesHttp = Handler is null && (Route is not null || Protocol == NetpollProtocol.Http);
        string[] httpOnly = [.. new[] { nameof(RequestHeadTimeout), nameof(KeepAliveTimeout), nameof(MinBodyDataRate), nameof(MaxBodySize) }.Where(MyInvocation.BoundParameters.ContainsKey)];
        string? conflict = (Handler, Route) switch
        {
            _ when httpOnly.Length > 0 && !servesHttp => $"{string.Join(", ", httpOnly.Select(p => "-" + p))} limit{(httpOnly.Length == 1 ? "s" : "")} HTTP requests; use with -Protocol Http or -Route.",
            (not null, not null) => "-Handler and -Route both say what the server answers; give one.",
            (not null, null) when protocolNamed => "-Handler replaces the built-in protocol; leave -Protocol out.",
            (null, not null) when protocolNamed && Protocol != NetpollProtocol.Http => $"-Route serves HTTP; -Protocol {Protocol} contradicts it (leave -Protocol out).",
            _ => null,
        };
        if (conflict is not null)
        {
            ThrowTerminatingError(new ErrorRecord(new ArgumentException(conflict), ErrorIds.ConflictingParameters, ErrorCategory.InvalidArgument, null));
        }

        return Handler is not null ? null : Route is not null ? NetpollProtocol.Http : Protocol;
    }

    private EndPoint ResolveEndPoint()
    {
        if (ParameterSetName == UnixSet)
        {
            return new UnixDomainSocketEndPoint(SessionState.Path.GetUnresolvedProviderPathFromPSPath(UnixSocket));
        }

        return ListenAddress.Parse(this, Address, Port);
    }

    /// <summary>
    /// The TLS options from -Certificate: HTTP (-Protocol Http or -Route) offers ALPN http/1.1, so clients that ask for
    /// it know what they speak; a client offering only h2 is refused with no_application_protocol (RFC 7301 §3.2), never handed a protocol the server does not speak.
    /// </summary>
    private TlsServerOptions LoadTls(NetpollProtocol? protocol) => new()
    {
        Certificate = ServerCertificate.LoadFor(this, Certificate!, CertificateKeyPath, CertificatePassword),
        ApplicationProtocols = protocol == NetpollProtocol.Http ? ["http/1.1"] : null,
        HandshakeTimeout = HandshakeTimeout,
    };

    private static ErrorRecord NameInUse(string name, string message) =>
        new(new InvalidOperationException(message), ErrorIds.ServerNameInUse, ErrorCategory.ResourceExists, name);

    /// <summary>The listener, or null after writing why the address cannot be listened on.</summary>
    private NetpollListener? Listen(EndPoint endPoint)
    {
        try
        {
            return NetpollListener.Create(endPoint, new ListenerOptions { Backlog = Backlog, ReusePort = ReusePort });
        }
        catch (SocketException ex)
        {
            WriteError(ListenAddress.Failed(ex, DescribeEndPoint(endPoint)));
            return null;
        }
    }

    private static string DescribeEndPoint(EndPoint endPoint) => endPoint is UnixDomainSocketEndPoint unix ? $"unix:{unix}" : endPoint.ToString() ?? "";
}
