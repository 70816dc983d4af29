namespace Netpoll.Server;

/// <summary>How a <see cref="NetpollListener"/> binds and listens.</summary>
public sealed record ListenerOptions
{
    /// <summary>Listen backlog. Zero: the system's maximum (net.core.somaxconn on Linux).</summary>
    public int Backlog { get; init; }

    /// <summary>SO_REUSEPORT: several listeners (processes) share one port.</summary>
    public bool ReusePort { get; init; }

    /// <summary>For an IPv6 address: accept IPv4 too (dual stack). Ignored otherwise.</summary>
    public bool DualMode { get; init; }
}
