namespace Netpoll.Proxy;

/// <summary>Why a proxied connection (a client and its upstream) ended; counted in <see cref="TcpProxyStats.Closed"/>.</summary>
public enum ProxyCloseCause
{
    /// <summary>Both sides closed (FIN each way) after their data went through.</summary>
    Completed = 0,

    /// <summary>The client reset its connection, or it failed.</summary>
    ClientReset = 1,

    /// <summary>The upstream refused the connection.</summary>
    UpstreamRefused = 2,

    /// <summary>The upstream could not be reached (no route, address not available, another connect error).</summary>
    UpstreamUnreachable = 3,

    /// <summary>The connect to the upstream took longer than the dial timeout.</summary>
    UpstreamTimeout = 4,

    /// <summary>The upstream reset its connection (or it failed) while open.</summary>
    UpstreamReset = 5,

    /// <summary>No byte moved for the idle timeout.</summary>
    IdleTimeout = 6,

    /// <summary>A <see cref="TimeoutToxic"/> closed it.</summary>
    ToxicTimeout = 7,

    /// <summary>A <see cref="ResetPeerToxic"/> reset it.</summary>
    ToxicResetPeer = 8,

    /// <summary>A <see cref="LimitDataToxic"/> closed it after its bytes.</summary>
    ToxicLimitData = 9,

    /// <summary>A <see cref="DownToxic"/> refused or reset it.</summary>
    Down = 10,

    /// <summary>The proxy stopped.</summary>
    Shutdown = 11,

    /// <summary>
    /// A TLS proxy's client never completed its handshake: it sent bytes that are not TLS (plain HTTP to the TLS port),
    /// the handshake failed or timed out, or it closed first (a TCP health check). No upstream connection was made.
    /// </summary>
    TlsHandshakeFailed = 12,
}
