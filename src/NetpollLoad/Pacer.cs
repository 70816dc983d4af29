using System.Diagnostics;

namespace Netpoll.Load;

/// <summary>
/// The open-model clock of a fixed-rate test. Requests are numbered; request n is due at
/// <see cref="RateSchedule.DueAt"/>(n) whatever the server does, and its latency counts from then (its
/// intended send time, wrk2's correction for coordinated omission). Any connection with room takes the next
/// due request (<see cref="TryTakeDue"/>), so a busy connection picks one up the moment its reply completes,
/// on its own poller thread. A connection with room and nothing due waits here (<see cref="Wait"/>); the
/// pacer thread sleeps until the next request is due and hands it to a waiting connection. When no
/// connection has room, due requests queue up: the schedule falls behind, which <see cref="Lag"/> measures.
/// </summary>
/// <remarks>
/// The pacer thread sleeps in whole milliseconds (the runtime's timer resolution), so at rates where
/// connections sit idle a request may go out up to about a millisecond after it was due: corrected latency
/// includes that delay, service time does not.
/// </remarks>
internal sealed class Pacer : IDisposable
{
    private readonly RateSchedule _schedule;
    private readonly long _origin;              // Stopwatch timestamp of second 0
    private readonly long _limit;               // requests the test sends at most
    private readonly Lock _waitingGate = new();
    private readonly Stack<LoadConnection> _waiting = new();  // guarded by _waitingGate
    private readonly ManualResetEventSlim _connectionWaits = new(false);
    private readonly Thread _thread;
    private long _next;                         // the number of the next request to hand out
    private long _maxLagTicks;
    private volatile bool _stopped;

    public Pacer(RateSchedule schedule, long origin, long limit)
    {
        _schedule = schedule;
        _origin = origin;
        _limit = limit > 0 ? limit : long.MaxValue;
        _thread = new Thread(Run) { IsBackground = true, Name = "netpoll-load-pacer" };
    }

    /// <summary>The largest lag seen so far.</summary>
    public TimeSpan MaxLag => Stopwatch.GetElapsedTime(0, Volatile.Read(ref _maxLagTicks));

    /// <summary>Requests taken so far (sent, or abandoned as their connection closed).</summary>
    public long Taken => Volatile.Read(ref _next);

    public void Start() => _thread.Start();

    /// <summary>Takes the next request if it is due at <paramref name="now"/>; its intended send time comes back. Any thread.</summary>
    public bool TryTakeDue(long now, out long intended)
    {
        while (true)
        {
            long n = Volatile.Read(ref _next);
            intended = 0;
            if (n >= _limit || _stopped)
            {
                return false;
            }

            long due = DueTimestamp(n);
            if (due > now)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref _next, n + 1, n) == n)
            {
                intended = due;
                NoteLag(now - due);
                return true;
            }
        }
    }

    /// <summary>A connection has room and nothing is due: the pacer hands it the next due request. Called once until then.</summary>
    public void Wait(LoadConnection connection)
    {
        lock (_waitingGate)
        {
            _waiting.Push(connection);
        }

        _connectionWaits.Set();
    }

    /// <summary>How far the schedule is behind at <paramref name="now"/>: how long the oldest due, unsent request has waited (zero when none waits).</summary>
    public TimeSpan Lag(long now)
    {
        long n = Volatile.Read(ref _next);
        if (n >= _limit)
        {
            return TimeSpan.Zero;
        }

        long due = DueTimestamp(n);
        long lag = now > due ? now - due : 0;
        NoteLag(lag);
        return Stopwatch.GetElapsedTime(0, lag);
    }

    /// <summary>Requests due by <paramref name="now"/> (capped by the test's request count).</summary>
    public long DueBy(long now) => Math.Min(_schedule.DueBy(Stopwatch.GetElapsedTime(_origin, now).TotalSeconds), _limit);

    /// <summary>The schedule's rate at <paramref name="now"/>.</summary>
    public double RateAt(long now) => _schedule.RateAt(Stopwatch.GetElapsedTime(_origin, now).TotalSeconds);

    public void Stop()
    {
        _stopped = true;
        _connectionWaits.Set();
    }

    public void Dispose()
    {
        Stop();
        if (_thread.IsAlive)
        {
            _thread.Join(TimeSpan.FromSeconds(5));
        }

        _connectionWaits.Dispose();
    }

    private long DueTimestamp(long n)
    {
        double seconds = _schedule.DueAt(n);
        return double.IsInfinity(seconds) ? long.MaxValue : _origin + (long)(seconds * Stopwatch.Frequency);
    }

    private void NoteLag(long ticks)
    {
        long max = Volatile.Read(ref _maxLagTicks);
        while (ticks > max)
        {
            long seen = Interlocked.CompareExchange(ref _maxLagTicks, ticks, max);
            if (seen == max)
            {
                return;
            }

            max = seen;
        }
    }

    private void Run()
    {
        while (!_stopped)
        {
            long n = Volatile.Read(ref _next);
            if (n >= _limit)
            {
                return; // every request is handed out
            }

            long due = DueTimestamp(n);
            if (due == long.MaxValue)
            {
                return; // the schedule has ended
            }

            long now = Stopwatch.GetTimestamp();
            if (due > now)
            {
                // Whole milliseconds: sleep at least one, so a request due in under a millisecond waits for the next tick.
                Thread.Sleep(Math.Max(1, (int)Stopwatch.GetElapsedTime(now, due).TotalMilliseconds));
                continue;
            }

            LoadConnection? connection = null;
            lock (_waitingGate)
            {
                if (_waiting.Count > 0)
                {
                    connection = _waiting.Pop();
                }
                else
                {
                    _connectionWaits.Reset();
                }
            }

            if (connection is null)
            {
                // Due and no connection has room: the busy ones take due requests as their replies come; wake when one waits.
                Lag(now);
                _connectionWaits.Wait(1);
                continue;
            }

            connection.SendDue();
        }
    }
}
