using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Netpoll.Connections;
using Netpoll.Diagnostics;
using Netpoll.Polling;
using Netpoll.Protocols;
using Netpoll.Server;

namespace Netpoll.PowerShell;

/// <summary>
/// A server started by Start-NetpollServer. Properties are raw values (State, Connections read live),
/// so Sort-Object, Where-Object and Measure-Object work; Netpoll.format.ps1xml formats them for people.
/// </summary>
public sealed class NetpollServer
{
    private readonly Lock _scriptsGate = new();
    private ScriptRouteRunner? _scripts;

    internal NetpollServer(int id, string name, NetpollProtocol? protocol, ConnectionHandler handler, EventLoop loop, NetpollListener listener, Task serving, ScriptRouteRunner? scripts = null)
    {
        _scripts = scripts;
        Id = id;
        Name = name;
        Protocol = protocol;
        Handler = handler.GetType().Name;
        Http = handler as HttpHandler;
        Loop = loop;
        Listener = listener;
        Serving = serving;
        StartTime = DateTimeOffset.Now;
    }

    public int Id { get; }

    public string Name { get; }

    /// <summary>The built-in protocol; null for a server running the user's own -Handler.</summary>
    public NetpollProtocol? Protocol { get; }

    /// <summary>The handler's type name: EchoHandler, DiscardHandler, HttpHandler, or the user's.</summary>
    public string Handler { get; }

    /// <summary>HTTP routes served (the built-in GET / and GET /stats, or -Route's); 0 for other protocols.</summary>
    public int Routes => Http?.Routes.Routes.Count ?? 0;

    /// <summary>What an HTTP server refused or cut short (bad requests, slow heads and bodies, failed scripts), read live; null for other protocols.</summary>
    public HttpServerStatistics? HttpStatistics => Http?.GetStatistics();

    /// <summary>The bound address with the real port (host:port, or the Unix socket path).</summary>
    public string EndPoint => Listener.LocalEndPoint is UnixDomainSocketEndPoint unix ? $"unix:{unix}" : Listener.LocalEndPoint.ToString() ?? "";

    /// <summary>The real port (0 for a Unix socket).</summary>
    public int Port => Listener.LocalEndPoint is IPEndPoint ip ? ip.Port : 0;

    public string Address => Listener.LocalEndPoint is IPEndPoint ip ? ip.Address.ToString() : EndPoint;

    public EventLoopState State => Loop.State;

    public int Pollers => Loop.Options.Pollers;

    public LoadBalance LoadBalance => Loop.Options.LoadBalance;

    /// <summary>Where handlers run, with Auto resolved (Inline for the built-in protocols).</summary>
    public DispatchMode Dispatch => Loop.Dispatch;

    public int Connections => Loop.ConnectionCount;

    /// <summary>The kernel API the pollers run on (never Auto): what -Backend asked for, or epoll where io_uring was refused.</summary>
    public PollerBackendKind Backend => Loop.BackendInUse;

    /// <summary>Why the pollers run on <see cref="Backend"/>: what was asked for, what Auto chose, or why io_uring was refused.</summary>
    public string BackendReason => Loop.BackendReason;

    public DateTimeOffset StartTime { get; }

    public TimeSpan Uptime => DateTimeOffset.Now - StartTime;

    /// <summary>The certificate the server serves TLS with; null for plain TCP.</summary>
    public X509Certificate2? Certificate { get; init; }

    /// <summary>Whether connections speak TLS.</summary>
    public bool Tls => Certificate is not null;

    /// <summary>Where a client on this machine reaches the server: a wildcard address (0.0.0.0, ::) is reached through loopback.</summary>
    internal string ReachableTarget => Listener.LocalEndPoint switch
    {
        UnixDomainSocketEndPoint => EndPoint,
        IPEndPoint ip when ip.Address.Equals(IPAddress.Any) => new IPEndPoint(IPAddress.Loopback, ip.Port).ToString(),
        IPEndPoint ip when ip.Address.Equals(IPAddress.IPv6Any) => new IPEndPoint(IPAddress.IPv6Loopback, ip.Port).ToString(),
        _ => EndPoint,
    };

    internal EventLoop Loop { get; }

    /// <summary>The HTTP handler whose routes Get-, Set- and Remove-NetpollRoute change; null for other protocols.</summary>
    internal HttpHandler? Http { get; }

    /// <summary>The $State hashtable this server's route scriptblocks share.</summary>
    internal System.Collections.Hashtable RouteState { get; init; } = System.Collections.Hashtable.Synchronized([]);

    /// <summary>Most route scriptblocks running at once (the server's script runspaces, each on its own thread).</summary>
    internal int ScriptThreads { get; init; } = 4;

    /// <summary>What runs the scriptblock routes, made with the first one.</summary>
    internal ScriptRouteRunner Scripts
    {
        get
        {
            lock (_scriptsGate)
            {
                return _scripts ??= new ScriptRouteRunner(ScriptThreads, RouteState);
            }
        }
    }

    /// <summary>The route's last failure, when it is a scriptblock route that failed.</summary>
    internal string? LastRouteError(HttpRoute route)
    {
        lock (_scriptsGate)
        {
            return _scripts?.LastError(route);
        }
    }

    /// <summary>The route's script, when it is a scriptblock route.</summary>
    internal string? RouteScript(HttpRoute route)
    {
        lock (_scriptsGate)
        {
            return _scripts?.ScriptOf(route);
        }
    }

    /// <summary>Frees what the server holds besides its loop (the scriptblocks' runspaces); once it has stopped.</summary>
    internal void Release()
    {
        lock (_scriptsGate)
        {
            _scripts?.Dispose();
            _scripts = null;
        }
    }

    internal NetpollListener Listener { get; }

    internal Task Serving { get; }

    public override string ToString() => $"{Name} ({Protocol?.ToString() ?? Handler}{(Tls ? " over TLS" : "")} on {EndPoint})";
}
