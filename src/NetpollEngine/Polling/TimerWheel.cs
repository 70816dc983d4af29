namespace Netpoll.Polling;

/// <summary>
/// A hashed timer wheel owned by one poller thread: one bucket per tick, no timer object per
/// connection. Entries are never removed early: an owner that moved its deadline is simply found
/// again, re-checks its deadlines and schedules itself anew (stale entries cost one check). An entry due more
/// than a lap ahead waits in its bucket, which the wheel passes once per lap.
/// </summary>
internal sealed class TimerWheel
{
    private readonly List<(IPollable Owner, long DueMs)>[] _buckets;
    private readonly long _tickMs;
    private long _currentTick;
    private int _count;

    // Every bucket for the ticks from _currentTick + 1 up to (not including) _scanFrom is empty, so
    // NextTimeout, called on every loop turn, starts there instead of walking the lap's empty buckets
    // (stale connect deadlines 20 s out made that the poller's costliest managed call under load).
    private long _scanFrom = long.MaxValue;

    public TimerWheel(int slots = 512, long tickMs = 10, long nowMs = 0)
    {
        _buckets = new List<(IPollable, long)>[slots];
        for (int i = 0; i < slots; i++)
        {
            _buckets[i] = [];
        }

        _tickMs = tickMs;
        _currentTick = nowMs / tickMs;
    }

    public int Count => _count;

    public void Schedule(IPollable owner, long dueMs)
    {
        // Round up: when the wheel reaches the bucket, the entry is due.
        long tick = Math.Max((dueMs + _tickMs - 1) / _tickMs, _currentTick + 1);
        _buckets[tick % _buckets.Length].Add((owner, dueMs));
        _count++;

        // The bucket's next pass: within the coming lap, even for an entry due laps later.
        long pass = _currentTick + 1 + ((tick - _currentTick - 1) % _buckets.Length);
        _scanFrom = Math.Min(_scanFrom, pass);
    }

    /// <summary>
    /// Milliseconds until the wheel reaches its next non-empty bucket (when its entries may be due), or -1 when
    /// empty. An entry due laps later makes the poller wake once per lap to pass its bucket.
    /// </summary>
    public int NextTimeout(long nowMs)
    {
        if (_count == 0)
        {
            _scanFrom = long.MaxValue;
            return -1;
        }

        long last = _currentTick + _buckets.Length;
        for (long tick = Math.Max(_scanFrom, _currentTick + 1); tick <= last; tick++)
        {
            if (_buckets[tick % _buckets.Length].Count > 0)
            {
                _scanFrom = tick;
                return (int)Math.Clamp((tick * _tickMs) - nowMs, 0, int.MaxValue);
            }
        }

        // Unreachable while the hint holds (every entry sits in a bucket of the coming lap); one lap is the bound.
        _scanFrom = _currentTick + 1;
        return (int)_tickMs;
    }

    /// <summary>Fires every entry that is due by <paramref name="nowMs"/>; entries due later go back in.</summary>
    public void Advance(long nowMs, List<IPollable> due)
    {
        long target = nowMs / _tickMs;
        // Never walk more than one lap: everything pending is in some bucket of that lap.
        long start = Math.Max(_currentTick + 1, target - _buckets.Length + 1);
        for (long tick = start; tick <= target; tick++)
        {
            List<(IPollable Owner, long DueMs)> bucket = _buckets[tick % _buckets.Length];
            if (bucket.Count == 0)
            {
                continue;
            }

            for (int i = bucket.Count - 1; i >= 0; i--)
            {
                (IPollable owner, long dueMs) = bucket[i];
                if (dueMs <= nowMs)
                {
                    due.Add(owner);
                    bucket.RemoveAt(i);
                    _count--;
                }
            }

            if (bucket.Count > 0)
            {
                _scanFrom = Math.Min(_scanFrom, tick + _buckets.Length); // due laps later: its next pass
            }
        }

        _currentTick = Math.Max(_currentTick, target);
    }
}
