using System.Diagnostics;

namespace Netpoll.Diagnostics;

/// <summary>
/// An immutable snapshot of one poller's counters. Taking it costs the poller nothing. Every
/// <see cref="PollerCounter"/> is in it (read it with the indexer); the named properties are views of the
/// ones users read most.
/// </summary>
public sealed class PollerStats
{
    private readonly long[] _values;

    internal PollerStats(int pollerId, string backend, DateTimeOffset timestamp, long[] values)
    {
        Debug.Assert(values.Length == PollerCounters.Count, "A snapshot holds every counter.");
        PollerId = pollerId;
        Backend = backend;
        Timestamp = timestamp;
        _values = values;
    }

    public int PollerId { get; }

    public string Backend { get; }

    public DateTimeOffset Timestamp { get; }

    /// <summary>The value of <paramref name="counter"/> when the snapshot was taken.</summary>
    public long this[PollerCounter counter] => _values[(int)counter];

    public long Connections => this[PollerCounter.Connections];

    public long Accepted => this[PollerCounter.Accepted];

    public long Closed => this[PollerCounter.Closed];

    public long Waits => this[PollerCounter.Waits];

    public long Events => this[PollerCounter.Events];

    public long Wakeups => this[PollerCounter.Wakeups];

    public long BytesIn => this[PollerCounter.BytesIn];

    public long BytesOut => this[PollerCounter.BytesOut];

    public long ReadCalls => this[PollerCounter.ReadCalls];

    public long WriteCalls => this[PollerCounter.WriteCalls];

    public long WaitedFlushes => this[PollerCounter.WaitedFlushes];

    public long Paused => this[PollerCounter.Paused];

    public long BufferBytes => this[PollerCounter.BufferBytes];

    public long AcceptBackoffs => this[PollerCounter.AcceptBackoffs];

    /// <summary>Connections accepted and reset at once because the process was out of fds.</summary>
    public long AcceptsShed => this[PollerCounter.AcceptsShed];

    /// <summary>Connections accepted and reset at once because the server had its MaxConnections open.</summary>
    public long AcceptsRejected => this[PollerCounter.AcceptsRejected];

    public long Timeouts => this[PollerCounter.Timeouts];

    /// <summary>Bytes of io_uring receive buffers connections hold now (0 on epoll and kqueue).</summary>
    public long ReceiveRingBytes => this[PollerCounter.ReceiveRingBytes];

    /// <summary>Receives that found the io_uring receive ring empty.</summary>
    public long ReceiveRingExhausted => this[PollerCounter.ReceiveRingExhausted];
    /// <summary>TLS handshakes completed, full and resumed.</summary>
    public long TlsHandshakes => this[PollerCounter.TlsHandshakes] + this[PollerCounter.TlsResumedHandshakes];

    /// <summary>TLS handshakes completed by resuming a session.</summary>
    public long TlsResumedHandshakes => this[PollerCounter.TlsResumedHandshakes];

    /// <summary>TLS handshakes that failed, for any reason (the TlsFailed* counters say which).</summary>
    public long TlsHandshakeFailures =>
        this[PollerCounter.TlsFailedProtocol] + this[PollerCounter.TlsFailedCertificate] + this[PollerCounter.TlsFailedUnknownHostName] +
        this[PollerCounter.TlsFailedPeerClosed] + this[PollerCounter.TlsFailedTimeout];

    public TimeSpan BusyTime => Stopwatch.GetElapsedTime(0, this[PollerCounter.BusyTicks]);

    public TimeSpan WaitTime => Stopwatch.GetElapsedTime(0, this[PollerCounter.WaitTicks]);

    /// <summary>Share of the poller thread's time spent working rather than waiting, 0–100.</summary>
    public double BusyPercent
    {
        get
        {
            double total = BusyTime.TotalSeconds + WaitTime.TotalSeconds;
            return total <= 0 ? 0 : 100.0 * BusyTime.TotalSeconds / total;
        }
    }
}
