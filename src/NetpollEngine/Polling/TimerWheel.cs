namespace Netpoll.Polling;

/// <summary>
/// A hashed timer wheel owned by one poller thread: one bucket per tick, no timer object per
/// connection. Entries are never removed early: an owner that moved its deadline is simply found
/// again, re-checks its deadlines and schedules itself anew (stale entries cost one check).
/// </summary>
internal sealed class TimerWheel
{
    private readonly List<(IPollable Owner, long DueMs)>[] _buckets;
    private readonly long _tickMs;
    private long _currentTick;
    private int _count;

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
    }

    /// <summary>Milliseconds until the earliest entry may be due, or -1 when empty.</summary>
    public int NextTimeout(long nowMs)
    {
        if (_count == 0)
        {
            return -1;
        }

        // Look one lap ahead for the first non-empty bucket.
        for (int i = 1; i <= _buckets.Length; i++)
        {
            long tick = _currentTick + i;
            List<(IPollable Owner, long DueMs)> bucket = _buckets[tick % _buckets.Length];
            if (bucket.Count > 0)
            {
                long earliest = long.MaxValue;
                foreach ((IPollable _, long due) in bucket)
                {
                    earliest = Math.Min(earliest, due);
                }

                return (int)Math.Clamp(Math.Max(earliest, tick * _tickMs) - nowMs, 0, int.MaxValue);
            }
        }

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
        }

        _currentTick = Math.Max(_currentTick, target);
    }
}
