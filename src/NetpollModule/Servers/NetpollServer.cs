using System.Net;
using System.Net.Sockets;
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
    internal NetpollServer(int id, string name, NetpollProtocol protocol, EventLoop loop, NetpollListener listener, Task serving)
    {
        Id = id;
        Name = name;
        Protocol = protocol;
        Loop = loop;
        Listener = listener;
        Serving = serving;
        StartTime = DateTimeOffset.Now;
    }

    public int Id { get; }

    public string Name { get; }

    public NetpollProtocol Protocol { get; }

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

    /// <summary>Where a client on this machine reaches the server: a wildcard address (0.0.0.0, ::) is reached through loopback.</summary>
    internal string ReachableTarget => Listener.LocalEndPoint switch
    {
        UnixDomainSocketEndPoint => EndPoint,
        IPEndPoint ip when ip.Address.Equals(IPAddress.Any) => new IPEndPoint(IPAddress.Loopback, ip.Port).ToString(),
        IPEndPoint ip when ip.Address.Equals(IPAddress.IPv6Any) => new IPEndPoint(IPAddress.IPv6Loopback, ip.Port).ToString(),
        _ => EndPoint,
    };

    internal EventLoop Loop { get; }

    internal NetpollListener Listener { get; }

    internal Task Serving { get; }

    public override string ToString() => $"{Name} ({Protocol} on {EndPoint})";
}
