using System.Collections.Concurrent;
using System.Diagnostics;

namespace Netpoll.Load;

/// <summary>
/// The shared, thread-safe state of one load test: request budget, counters, histograms, errors.
/// Every request taken from the budget is resolved exactly once, completed or failed, so a test
/// bounded by a request count ends when the last one resolves, whatever the server did.
/// </summary>
internal sealed class LoadRun
{
    /// <summary>Distinct messages kept for errors of kind Other (each names its errno).</summary>
    private const int OtherDetailsKept = 8;

    private readonly ConcurrentDictionary<LoadErrorKind, long> _errors = new();
    private readonly ConcurrentDictionary<string, byte> _otherDetails = new(StringComparer.Ordinal);
    private readonly TaskCompletionSource _budgetSpent = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _remaining;
    private long _completed;
    private long _failed;
    private int _open;
    private int _peak;
    private volatile bool _stopping;

    public LoadRun(LoadOptions options)
    {
        Options = options;
        _remaining = options.Requests > 0 ? options.Requests : long.MaxValue;
        Message = new byte[options.MessageSize];
        for (int i = 0; i < Message.Length; i++)
        {
            Message[i] = (byte)('a' + (i % 26));
        }
    }

    public LoadOptions Options { get; }

    /// <summary>The echo payload every request sends (a recognisable pattern, so a wrong echo is caught).</summary>
    public byte[] Message { get; }

    public LatencyHistogram Latency { get; } = new();

    public LatencyHistogram ConnectTime { get; } = new();

    private LatencyHistogram _interval = new();

    /// <summary>Takes the latencies recorded since the last call (for per-interval percentiles).</summary>
    public LatencyHistogram TakeInterval() => Interlocked.Exchange(ref _interval, new LatencyHistogram());

    /// <summary>One progress sample per interval, kept for the result's timeline.</summary>
    public List<LoadProgress> Timeline { get; } = [];

    public long BytesSent;
    public long BytesReceived;
    public long ConnectFailures;
    public int Opened;

    public long Completed => Volatile.Read(ref _completed);

    public long Failed => Volatile.Read(ref _failed);

    public int Open => Volatile.Read(ref _open);

    public int Peak => Volatile.Read(ref _peak);

    public bool Stopping => _stopping;

    /// <summary>Completes when every request of a count-bounded test has resolved.</summary>
    public Task BudgetSpent => _budgetSpent.Task;

    public long ErrorCount => _errors.Values.Sum();

    public LoadErrors Errors => LoadErrors.From(new Dictionary<LoadErrorKind, long>(_errors), [.. _otherDetails.Keys.Order(StringComparer.Ordinal)]);

    public void Stop() => _stopping = true;

    /// <summary>Takes one request from the budget; false when the test is stopping or the budget is spent.</summary>
    public bool TryStartRequest() => !_stopping && Interlocked.Decrement(ref _remaining) >= 0;

    /// <summary>A request's full reply arrived.</summary>
    public void Complete(long startTimestamp)
    {
        long ns = (long)Stopwatch.GetElapsedTime(startTimestamp).TotalNanoseconds;
        Latency.Record(ns);
        Volatile.Read(ref _interval).Record(ns);
        Interlocked.Increment(ref _completed);
        Resolved();
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

    public void ConnectionOpened()
    {
        int open = Interlocked.Increment(ref _open);
        Interlocked.Increment(ref Opened);
        int peak = Volatile.Read(ref _peak);
        while (open > peak && Interlocked.CompareExchange(ref _peak, open, peak) != peak)
        {
            peak = Volatile.Read(ref _peak);
        }
    }

    public void ConnectionClosed() => Interlocked.Decrement(ref _open);

    public void Error(LoadErrorKind kind, long count = 1) => _errors.AddOrUpdate(kind, count, (_, n) => n + count);

    /// <summary>Counts an error of kind Other and keeps its message, which names the errno.</summary>
    public void OtherError(string message)
    {
        Error(LoadErrorKind.Other);
        if (_otherDetails.Count < OtherDetailsKept)
        {
            _otherDetails.TryAdd(message, 0);
        }
    }

    private void Resolved()
    {
        if (Options.Requests > 0 && Completed + Failed >= Options.Requests)
        {
            _budgetSpent.TrySetResult();
        }
    }
}
