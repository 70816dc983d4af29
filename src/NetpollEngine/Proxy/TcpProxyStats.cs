namespace Netpoll.Proxy;

/// <summary>A proxy's own counters at one moment (its pollers' counters are in <see cref="TcpProxy.GetPollerStats"/>).</summary>
public sealed record TcpProxyStats
{
    public required string Name { get; init; }

    public required DateTimeOffset Timestamp { get; init; }

    /// <summary>
    /// Client connections accepted (those a down toxic refused, and a TLS proxy's that never completed their handshake,
    /// included): each is <see cref="Active"/> or counted once in <see cref="Closed"/>.
    /// </summary>
    public required long Accepted { get; init; }

    /// <summary>Client connections open now (each with its upstream, or dialing it).</summary>
    public required int Active { get; init; }

    /// <summary>Ended connections by cause.</summary>
    public required IReadOnlyDictionary<ProxyCloseCause, long> Closed { get; init; }

    /// <summary>Times a toxic applied to a connection's direction (its toxicity roll came up), by toxic name.</summary>
    public required IReadOnlyDictionary<string, long> ToxicsApplied { get; init; }

    /// <summary>Bytes read from clients (forwarded upstream unless a toxic dropped them).</summary>
    public required long BytesUpstream { get; init; }

    /// <summary>Bytes read from upstreams (forwarded to clients unless a toxic dropped them).</summary>
    public required long BytesDownstream { get; init; }

    /// <summary>Connections that ended with <paramref name="cause"/>.</summary>
    public long ClosedBy(ProxyCloseCause cause) => Closed.TryGetValue(cause, out long n) ? n : 0;

    /// <summary>All toxic applications, over every toxic.</summary>
    public long TotalToxicsApplied => ToxicsApplied.Values.Sum();
}
