namespace Netpoll.PowerShell;

/// <summary>All pollers of one server summed (Get-NetpollStats -Aggregate).</summary>
public sealed class NetpollServerStats
{
    public required string ServerName { get; init; }
    public required int Pollers { get; init; }
    public required DateTimeOffset Timestamp { get; init; }
    public required long Connections { get; init; }
    public required long Accepted { get; init; }
    public required long Closed { get; init; }
    public required long BytesIn { get; init; }
    public required long BytesOut { get; init; }
    public required long Events { get; init; }
    public required long Wakeups { get; init; }
    public required long Paused { get; init; }
    public required long BufferBytes { get; init; }
    public required long AcceptBackoffs { get; init; }

    /// <summary>Connections accepted and reset at once because the process was out of fds.</summary>
    public required long AcceptsShed { get; init; }

    /// <summary>Connections accepted and reset at once because the server had its -MaxConnections open (not in Accepted).</summary>
    public long AcceptsRejected { get; init; }
    public required long Timeouts { get; init; }

    /// <summary>TLS handshakes completed (full and resumed); zero for a server without -Certificate.</summary>
    public long TlsHandshakes { get; init; }

    /// <summary>Of <see cref="TlsHandshakes"/>, those that resumed a session (a ticket).</summary>
    public long TlsResumedHandshakes { get; init; }

    /// <summary>TLS handshakes that failed, for any reason.</summary>
    public long TlsHandshakeFailures { get; init; }
    /// <summary>Mean busy share of the pollers.</summary>
    public required double BusyPercent { get; init; }
    public required TimeSpan Interval { get; init; }
    public required double AcceptedPerSecond { get; init; }
    public required double BytesInPerSecond { get; init; }
    public required double BytesOutPerSecond { get; init; }
    public required double EventsPerSecond { get; init; }
    /// <summary>Bytes of pooled buffer memory the server holds (input and output).</summary>
    public required long BufferPoolBytes { get; init; }

    internal static NetpollServerStats From(string server, IReadOnlyList<NetpollPollerStats> pollers, long poolBytes) => new()
    {
        ServerName = server,
        Pollers = pollers.Count,
        Timestamp = pollers.Count > 0 ? pollers.Max(p => p.Timestamp) : DateTimeOffset.Now,
        Connections = pollers.Sum(p => p.Connections),
        Accepted = pollers.Sum(p => p.Accepted),
        Closed = pollers.Sum(p => p.Closed),
        BytesIn = pollers.Sum(p => p.BytesIn),
        BytesOut = pollers.Sum(p => p.BytesOut),
        Events = pollers.Sum(p => p.Events),
        Wakeups = pollers.Sum(p => p.Wakeups),
        Paused = pollers.Sum(p => p.Paused),
        BufferBytes = pollers.Sum(p => p.BufferBytes),
        AcceptBackoffs = pollers.Sum(p => p.AcceptBackoffs),
        AcceptsShed = pollers.Sum(p => p.AcceptsShed),
        AcceptsRejected = pollers.Sum(p => p.AcceptsRejected),
        Timeouts = pollers.Sum(p => p.Timeouts),
        TlsHandshakes = pollers.Sum(p => p.TlsHandshakes),
        TlsResumedHandshakes = pollers.Sum(p => p.TlsResumedHandshakes),
        TlsHandshakeFailures = pollers.Sum(p => p.TlsHandshakeFailures),
        BusyPercent = pollers.Count == 0 ? 0 : Math.Round(pollers.Average(p => p.BusyPercent), 2),
        Interval = pollers.Count == 0 ? TimeSpan.Zero : pollers.Max(p => p.Interval),
        AcceptedPerSecond = pollers.Sum(p => p.AcceptedPerSecond),
        BytesInPerSecond = pollers.Sum(p => p.BytesInPerSecond),
        BytesOutPerSecond = pollers.Sum(p => p.BytesOutPerSecond),
        EventsPerSecond = pollers.Sum(p => p.EventsPerSecond),
        BufferPoolBytes = poolBytes,
    };
}
