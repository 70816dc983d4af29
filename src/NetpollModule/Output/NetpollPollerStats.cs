using Netpoll.Diagnostics;

namespace Netpoll.PowerShell;

/// <summary>
/// One poller of one server at one moment (Get-NetpollStats). Counters are totals since the server
/// started; the *PerSecond properties are rates over <see cref="Interval"/>: since the server started
/// for a command's first sample, since that command's previous sample after that.
/// </summary>
public sealed class NetpollPollerStats
{
    public required string ServerName { get; init; }
    public required int PollerId { get; init; }
    public required DateTimeOffset Timestamp { get; init; }
    /// <summary>Connections this poller owns (serves) now.</summary>
    public required long Connections { get; init; }

    /// <summary>Connections the listener running on this poller accepted; each was then handed to whichever poller the load balancer picked, maybe another.</summary>
    public required long Accepted { get; init; }

    /// <summary>Connections this poller has owned: <see cref="Connections"/> open now plus <see cref="Closed"/>. Per poller this, not Accepted, adds up.</summary>
    public long Assigned => Connections + Closed;

    /// <summary>Connections this poller owned that have closed.</summary>
    public required long Closed { get; init; }
    public required long BytesIn { get; init; }
    public required long BytesOut { get; init; }
    public required long Events { get; init; }
    public required long Waits { get; init; }
    public required long Wakeups { get; init; }
    public required long ReadCalls { get; init; }
    public required long WriteCalls { get; init; }
    public required long WaitedFlushes { get; init; }
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

    /// <summary>TLS handshakes that failed, for any reason (the meter's netpoll.tls.handshake.failures says which, as error.type).</summary>
    public long TlsHandshakeFailures { get; init; }

    public required double BusyPercent { get; init; }
    public required TimeSpan Interval { get; init; }
    public required double AcceptedPerSecond { get; init; }
    public required double BytesInPerSecond { get; init; }
    public required double BytesOutPerSecond { get; init; }
    public required double EventsPerSecond { get; init; }

    /// <param name="server">The server's name.</param>
    /// <param name="now">This sample.</param>
    /// <param name="before">The previous sample of the same view, or null: rates then run from <paramref name="startTime"/>.</param>
    /// <param name="startTime">When the server started (counters were zero).</param>
    internal static NetpollPollerStats From(string server, PollerStats now, PollerStats? before, DateTimeOffset startTime)
    {
        TimeSpan interval = now.Timestamp - (before?.Timestamp ?? startTime);
        double seconds = interval.TotalSeconds;
        double Rate(long current, long? previous) => seconds > 0 ? (current - (previous ?? 0)) / seconds : 0;

        // Busy share over the interval when there is one, else since start.
        double busy = now.BusyPercent;
        if (before is not null)
        {
            double busyDelta = (now.BusyTime - before.BusyTime).TotalSeconds;
            double total = busyDelta + (now.WaitTime - before.WaitTime).TotalSeconds;
            busy = total > 0 ? 100 * busyDelta / total : 0;
        }

        return new NetpollPollerStats
        {
            ServerName = server,
            PollerId = now.PollerId,
            Timestamp = now.Timestamp,
            Connections = now.Connections,
            Accepted = now.Accepted,
            Closed = now.Closed,
            BytesIn = now.BytesIn,
            BytesOut = now.BytesOut,
            Events = now.Events,
            Waits = now.Waits,
            Wakeups = now.Wakeups,
            ReadCalls = now.ReadCalls,
            WriteCalls = now.WriteCalls,
            WaitedFlushes = now.WaitedFlushes,
            Paused = now.Paused,
            BufferBytes = now.BufferBytes,
            AcceptBackoffs = now.AcceptBackoffs,
            AcceptsShed = now.AcceptsShed,
            AcceptsRejected = now.AcceptsRejected,
            Timeouts = now.Timeouts,
            TlsHandshakes = now.TlsHandshakes,
            TlsResumedHandshakes = now.TlsResumedHandshakes,
            TlsHandshakeFailures = now.TlsHandshakeFailures,
            BusyPercent = Math.Round(busy, 2),
            Interval = interval,
            AcceptedPerSecond = Rate(now.Accepted, before?.Accepted),
            BytesInPerSecond = Rate(now.BytesIn, before?.BytesIn),
            BytesOutPerSecond = Rate(now.BytesOut, before?.BytesOut),
            EventsPerSecond = Rate(now.Events, before?.Events),
        };
    }
}
