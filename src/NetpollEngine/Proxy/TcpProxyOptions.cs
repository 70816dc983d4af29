using System.Net;
using System.Net.Sockets;
using Netpoll.Connections;
using Netpoll.Polling;
using Netpoll.Tls;

namespace Netpoll.Proxy;

/// <summary>Settings of one <see cref="TcpProxy"/>.</summary>
public sealed record TcpProxyOptions
{
    private static int s_count;

    /// <summary>Name used in metrics (netpoll.owner.name of its pollers, which both sides share) and events (name-upstream for upstream connections' events). Default: proxy-N.</summary>
    public string Name { get; init; } = $"proxy-{Interlocked.Increment(ref s_count)}";

    /// <summary>Where to listen for clients. Default: 127.0.0.1, any free port.</summary>
    public EndPoint EndPoint { get; init; } = new IPEndPoint(IPAddress.Loopback, 0);

    /// <summary>Where every client connection is forwarded: an IP end point or a Unix domain socket.</summary>
    public required EndPoint Upstream { get; init; }

    /// <summary>Pollers, shared by both sides: each upstream runs on its client's poller. Zero: the engine's default.</summary>
    public int Pollers { get; init; }

    /// <summary>
    /// The kernel API the pollers run on (both sides: each upstream runs on its client's poller).
    /// <see cref="PollerBackendKind.Auto"/> picks io_uring where the kernel allows it (the proxy's pipes run
    /// inline); with <see cref="Tls"/> it keeps epoll, as Auto does for any TLS server (ask for IoUring to run TLS on it).
    /// </summary>
    public PollerBackendKind Backend { get; init; } = PollerBackendKind.Auto;

    /// <summary>How long a connect to the upstream may take. Zero: no limit.</summary>
    public TimeSpan DialTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>What the client gets when the upstream cannot be reached or fails. Default: a close.</summary>
    public UpstreamFailureAction OnUpstreamFailure { get; init; } = UpstreamFailureAction.Close;

    /// <summary>
    /// Per-connection behaviour on both sides. The input water marks bound what each direction holds
    /// (also the toxics' queue); IdleTimeout ends a pair where nothing moved either way. ReadTimeout is
    /// not used: each side waits on the other for as long as it is open.
    /// </summary>
    public ConnectionOptions Connection { get; init; } = new();

    /// <summary>
    /// TLS towards clients: the proxy terminates it with this certificate and forwards plaintext (or re-encrypts,
    /// with <see cref="UpstreamTls"/>). Toxics act on the plaintext. Null: clients speak plain TCP.
    /// </summary>
    public TlsServerOptions? Tls { get; init; }

    /// <summary>TLS towards the upstream: the proxy connects as a TLS client with these options. Null: plain TCP.</summary>
    public TlsClientOptions? UpstreamTls { get; init; }

    internal void Validate()
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(Name);
        ArgumentNullException.ThrowIfNull(EndPoint);
        ArgumentNullException.ThrowIfNull(Upstream);
        ArgumentNullException.ThrowIfNull(Connection);
        if (Upstream is not (IPEndPoint or UnixDomainSocketEndPoint))
        {
            throw new ArgumentException($"Upstream must be an IPEndPoint or a UnixDomainSocketEndPoint (resolve host names first), got {Upstream.GetType().Name}.", nameof(Upstream));
        }

        if (Pollers < 0 || Pollers > 1024)
        {
            throw new ArgumentOutOfRangeException(nameof(Pollers), Pollers, "Pollers must be between 0 (the default) and 1024.");
        }

        if (!Enum.IsDefined(Backend))
        {
            throw new ArgumentOutOfRangeException(nameof(Backend), Backend, "Backend must be Auto, Epoll, Kqueue or IoUring.");
        }

        if (DialTimeout < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(DialTimeout), DialTimeout, "DialTimeout must be zero (no limit) or positive.");
        }

        if (!Enum.IsDefined(OnUpstreamFailure))
        {
            throw new ArgumentOutOfRangeException(nameof(OnUpstreamFailure), OnUpstreamFailure, "OnUpstreamFailure must be Close or Reset.");
        }
    }
}
