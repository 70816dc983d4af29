using System.Management.Automation;
using System.Net;
using Netpoll.Polling;
using Netpoll.Proxy;

namespace Netpoll.PowerShell;

/// <summary>
/// A proxy started by Start-NetpollProxy. State, Connections, the counters and Toxics are read live;
/// Netpoll.format.ps1xml formats them for people.
/// </summary>
public sealed class NetpollProxy
{
    internal NetpollProxy(int id, string upstream, TcpProxy proxy)
    {
        Id = id;
        Upstream = upstream;
        Proxy = proxy;
        StartTime = DateTimeOffset.Now;
    }

    public int Id { get; }

    public string Name => Proxy.Name;

    /// <summary>Where clients connect, with the real port.</summary>
    public string EndPoint => Proxy.EndPoint.ToString() ?? "";

    public string Address => ((IPEndPoint)Proxy.EndPoint).Address.ToString();

    public int Port => ((IPEndPoint)Proxy.EndPoint).Port;

    /// <summary>The upstream as given (host:port or unix:path).</summary>
    public string Upstream { get; }

    /// <summary>The address connections go to (the host name resolved at start).</summary>
    public string UpstreamEndPoint => Proxy.Upstream.ToString() ?? "";

    public ProxyState State => Proxy.State;

    /// <summary>Client connections open now (each with its upstream connection).</summary>
    public int Connections => Proxy.ConnectionCount;

    /// <summary>Pollers on each side (clients, upstreams).</summary>
    public int Pollers { get; init; }

    /// <summary>The kernel API both sides' pollers run on (never Auto): what -Backend asked for, or epoll where io_uring was refused.</summary>
    public PollerBackendKind Backend => Proxy.BackendInUse;

    /// <summary>Why the pollers run on <see cref="Backend"/>: what was asked for, what Auto chose, or why io_uring was refused.</summary>
    public string BackendReason => Proxy.BackendReason;

    public TimeSpan DialTimeout => Proxy.Options.DialTimeout;

    public UpstreamFailureAction OnUpstreamFailure => Proxy.Options.OnUpstreamFailure;

    /// <summary>The toxics in effect, in the order they were added, with how often each applied.</summary>
    public IReadOnlyList<NetpollToxic> Toxics => NetpollToxic.Of(this);

    /// <summary>Client connections accepted since the start.</summary>
    public long Accepted => Proxy.GetStats().Accepted;

    /// <summary>Ended connections by cause, one property each: <c>Closed.Completed</c>, <c>Closed.UpstreamRefused</c>, <c>Closed.ToxicResetPeer</c>, ...</summary>
    public PSObject Closed
    {
        get
        {
            var closed = new PSObject();
            foreach ((ProxyCloseCause cause, long count) in Proxy.GetStats().Closed.OrderBy(c => c.Key))
            {
                closed.Properties.Add(new PSNoteProperty(cause.ToString(), count));
            }

            return closed;
        }
    }

    /// <summary>Bytes read from clients.</summary>
    public long BytesUpstream => Proxy.GetStats().BytesUpstream;

    /// <summary>Bytes read from upstreams.</summary>
    public long BytesDownstream => Proxy.GetStats().BytesDownstream;

    public DateTimeOffset StartTime { get; }

    public TimeSpan Uptime => DateTimeOffset.Now - StartTime;

    internal TcpProxy Proxy { get; }

    public override string ToString() => $"{Name} ({EndPoint} -> {Upstream})";
}
