using System.Collections.Concurrent;
using System.Diagnostics;

namespace Netpoll.Load;

/// <summary>
/// The shared, thread-safe state of one load test: what to send, the request budget or the schedule,
/// counters, latency recorders, status codes, errors, and the open connections. Every request sent is
/// resolved exactly once: completed, failed, or in flight when the run stopped (<see cref="SettleAtStop"/>);
/// so a test bounded by a request count ends when the last one resolves, whatever the server did, and a
/// result counts each request once.
/// </summary>
internal sealed class LoadRun
{
    private readonly ConcurrentDictionary<LoadErrorKind, long> _errors = new();
    private readonly ConcurrentDictionary<string, byte> _otherDetails = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> _badResponseDetails = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> _tlsDetails = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<LoadConnection, byte> _live = new(ReferenceEqualityComparer.Instance);
    private readonly TaskCompletionSource _budgetSpent = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly long[] _statusCounts = new long[600];
    private long _remaining;            // requests left in the budget; not counted when there is none (Requests = 0)
    private long _completed;
    private long _failed;
    private long _abandoned;
    private long _inFlightAtStop;
    private int _open;
    private int _peak;
    private int _connecting;

    // Connections open plus connects under way, kept in one field: a close counts the reopen's connect before its own end,
    // and a connect its connection before its own end, so this is 0 only when nothing can go on. Read as two fields
    // (Open, then Connecting), a close and a quick reopen between the reads looked like none (a false NoConnections).
    private int _openOrConnecting;
    private volatile bool _stopping;
    private volatile bool _held;        // closed loop with a StartAt: no request goes out until Release

    public LoadRun(LoadOptions options, Pacer? pacer)
    {
        Options = options;
        Pacer = pacer;
        _remaining = options.Requests;
        Message = new byte[options.Pattern is LoadPattern.PingPong or LoadPattern.Pipelined ? options.MessageSize : 0];
        for (int i = 0; i < Message.Length; i++)
        {
            Message[i] = (byte)('a' + (i % 26));
        }

        Http = options.Pattern is LoadPattern.Http or LoadPattern.Handshake ? HttpRequestSet.For(options) : null;
        Depth = options.Pattern is LoadPattern.PingPong or LoadPattern.Handshake ? 1 : options.Pipeline;
        ServiceTime = pacer is not null || options.Pattern == LoadPattern.Handshake ? new LatencyRecorder() : null;

        // A fixed-rate schedule holds requests itself (its second 0 is the start); a closed loop is held here.
        _held = options.StartAt is not null && pacer is null;
    }

    public LoadOptions Options { get; }

    /// <summary>The schedule of a fixed-rate test; null for a closed loop (each connection sends when its reply came).</summary>
    public Pacer? Pacer { get; }

    /// <summary>The echo payload every echo request sends (a recognisable pattern, so a wrong echo is caught).</summary>
    public byte[] Message { get; }

    /// <summary>The prepared HTTP requests (Http and Handshake patterns only).</summary>
    public HttpRequestSet? Http { get; }

    /// <summary>Requests a connection keeps in flight.</summary>
    public int Depth { get; }

    /// <summary>From each request's intended send time (its send time in a closed loop) to its whole reply.</summary>
    public LatencyRecorder Latency { get; } = new();

    /// <summary>
    /// From each request's actual send time to its whole reply, when that can differ from <see cref="Latency"/>:
    /// a fixed-rate request may be sent after it was due, a Handshake request after its connect. Null in any
    /// other closed loop, where a request is due when it is sent: its service time is its latency, recorded once.
    /// </summary>
    public LatencyRecorder? ServiceTime { get; }

    /// <summary>Each opened connection's TCP connect, from its start to its completion on the poller (a TLS handshake is not in it).</summary>
    public LatencyRecorder ConnectTime { get; } = new();

    /// <summary>One progress sample per interval, kept for the result's timeline. Progress loop only.</summary>
    public List<LoadProgress> Timeline { get; } = [];

    public long BytesSent;
    public long BytesReceived;
    public long ConnectFailures;
    public int Opened;
    public long Reopened;

    /// <summary>Requests a reused connection's close lost before any of their response came, handed to the slot's next connection to send again.</summary>
    public long Retried;

    public long Completed => Volatile.Read(ref _completed);

    /// <summary>Fixed rate: requests taken from the schedule and sent (those abandoned as their connection closed are not).</summary>
    public long SentOnSchedule => (Pacer?.Taken ?? 0) - Volatile.Read(ref _abandoned);

    public long Failed => Volatile.Read(ref _failed);

    /// <summary>Requests sent (or, for the Handshake pattern, whose connect had begun) and unanswered when the run stopped.</summary>
    public long InFlightAtStopCount => Volatile.Read(ref _inFlightAtStop);

    public int Open => Volatile.Read(ref _open);

    public int Peak => Volatile.Read(ref _peak);

    /// <summary>Connects started and not yet finished (the ramp's and reopens).</summary>
    public int Connecting => Volatile.Read(ref _connecting);

    /// <summary>A connection is open, or one is being opened or waits to be (a reopen's back-off): the run can go on.</summary>
    public bool HasConnections => Volatile.Read(ref _openOrConnecting) > 0;

    public bool Stopping => _stopping;

    /// <summary>Completes when every request of a count-bounded test has resolved.</summary>
    public Task BudgetSpent => _budgetSpent.Task;

    public long ErrorCount => _errors.Values.Sum();

    public LoadErrors Errors => LoadErrors.From(
        new Dictionary<LoadErrorKind, long>(_errors),
        [.. _otherDetails.Keys.Order(StringComparer.Ordinal)],
        [.. _badResponseDetails.Keys.Order(StringComparer.Ordinal)],
        [.. _tlsDetails.Keys.Order(StringComparer.Ordinal)]);

    public LoadStatusCodes StatusCodes =>
        new(Enumerable.Range(100, 500).Select(code => new KeyValuePair<int, long>(code, Volatile.Read(ref _statusCounts[code]))));

    /// <summary>The connections open now (for the response-timeout watchdog).</summary>
    public ICollection<LoadConnection> LiveConnections => _live.Keys;

    /// <summary>No request is taken after this (budget or schedule), and no connection is reopened. Replies still count until <see cref="SettleAtStop"/>.</summary>
    public void Stop()
    {
        _stopping = true;
        Pacer?.Stop();
    }

    /// <summary>
    /// After <see cref="Stop"/>: every open connection counts what it has in flight as in flight at the stop, and counts
    /// nothing after (a reply or close that comes later is not this run's). A connection that is closing finishes
    /// counting its end first (both hold the connection's gate), so none is counted twice or lost. Call again once
    /// connects in progress have ended, for the connections they opened.
    /// </summary>
    public void SettleAtStop()
    {
        foreach (LoadConnection connection in _live.Keys)
        {
            connection.SettleAtStop();
        }
    }

    /// <summary>Requests that were in flight when the run stopped: not completed, not failed (the rule wrk follows; see <see cref="SettleAtStop"/>).</summary>
    public void InFlightAtStop(int requests)
    {
        if (requests > 0)
        {
            Interlocked.Add(ref _inFlightAtStop, requests);
        }
    }

    /// <summary>Closed loop: takes one request from the budget; false when the test is held, stopping, or the budget is spent.</summary>
    public bool TryStartRequest() => !_stopping && !_held && (Options.Requests == 0 || Interlocked.Decrement(ref _remaining) >= 0);

    /// <summary>
    /// Closed loop with a start time: lets requests go, and starts every connection already open (each held
    /// its first request). A connection that opens after this sends on its own. The progress loop's thread.
    /// </summary>
    public void Release()
    {
        if (!_held)
        {
            return;
        }

        _held = false;
        if (Options.Pattern != LoadPattern.Idle)
        {
            // Opened() adds a connection here before its OnConnectAsync runs, so one that saw the hold is listed.
            foreach (LoadConnection connection in _live.Keys)
            {
                connection.SendDue();
            }
        }
    }

    /// <summary>Closed loop: a request taken with <see cref="TryStartRequest"/> could not be sent (its connection closed): another connection may send it.</summary>
    public void ReturnRequest()
    {
        if (Options.Requests > 0)
        {
            Interlocked.Increment(ref _remaining);
        }
    }

    /// <summary>Fixed rate: a request taken from the schedule could not be sent (its connection closed). It counts as not sent.</summary>
    public void AbandonRequest()
    {
        Interlocked.Increment(ref _abandoned);
        Resolved();
    }

    /// <summary>A request's whole reply arrived (intended and sent are Stopwatch timestamps). Its connection's gate is held: after its <see cref="LoadConnection.SettleAtStop"/> none comes.</summary>
    public void Complete(long intended, long sent, long now, int statusCode)
    {
        Latency.Record((long)Stopwatch.GetElapsedTime(intended, now).TotalNanoseconds);
        ServiceTime?.Record((long)Stopwatch.GetElapsedTime(sent, now).TotalNanoseconds);
        CountStatus(statusCode);
        Interlocked.Increment(ref _completed);
        Resolved();
    }

    /// <summary>An interim (1xx) or final HTTP status came back.</summary>
    public void CountStatus(int statusCode)
    {
        if (statusCode is >= 100 and < 600)
        {
            Interlocked.Increment(ref _statusCounts[statusCode]);
        }
    }

    /// <summary><paramref name="requests"/> sent requests will never complete (no reply in time, or their connection broke).</summary>
    public void Fail(int requests)
    {
        if (requests > 0)
        {
            Interlocked.Add(ref _failed, requests);
            Resolved();
        }
    }

    public void ConnectStarted()
    {
        Interlocked.Increment(ref _openOrConnecting);
        Interlocked.Increment(ref _connecting);
    }

    public void ConnectEnded()
    {
        Interlocked.Decrement(ref _connecting);
        Interlocked.Decrement(ref _openOrConnecting);
    }

    public void ConnectionOpened(LoadConnection connection)
    {
        _live.TryAdd(connection, 0);
        Interlocked.Increment(ref _openOrConnecting);
        int open = Interlocked.Increment(ref _open);
        Interlocked.Increment(ref Opened);
        int peak = Volatile.Read(ref _peak);
        while (open > peak && Interlocked.CompareExchange(ref _peak, open, peak) != peak)
        {
            peak = Volatile.Read(ref _peak);
        }
    }

    public void ConnectionClosed(LoadConnection connection)
    {
        _live.TryRemove(connection, out _);
        Interlocked.Decrement(ref _open);
        Interlocked.Decrement(ref _openOrConnecting);
    }

    public void Error(LoadErrorKind kind, long count = 1)
    {
        if (count > 0)
        {
            _errors.AddOrUpdate(kind, count, (_, n) => n + count);
        }
    }

    /// <summary>Counts an error of a kind that keeps its message (Other: the errno; BadResponse: how the protocol broke; TlsHandshake: why).</summary>
    public void Error(LoadErrorKind kind, string detail)
    {
        Error(kind);
        ConcurrentDictionary<string, byte> details = kind switch
        {
            LoadErrorKind.BadResponse => _badResponseDetails,
            LoadErrorKind.TlsHandshake => _tlsDetails,
            _ => _otherDetails,
        };
        if (details.Count < LoadErrors.DetailsKept)
        {
            details.TryAdd(detail, 0);
        }
    }

    private void Resolved()
    {
        if (Options.Requests > 0 && Completed + Failed + Volatile.Read(ref _abandoned) >= Options.Requests)
        {
            _budgetSpent.TrySetResult();
        }
    }
}
