namespace Netpoll.Load;

/// <summary>
/// One timeline for tests that ran at the same time on several nodes: each part's samples are placed on the
/// wall clock (its <see cref="LoadResult.StartTime"/> plus their Elapsed), and the merged timeline has one
/// sample at the end of every second from the earliest start to the latest end (the last one at that end).
/// </summary>
/// <remarks>
/// At each of those moments a part counts with its latest sample at or before it: its cumulative requests and
/// errors (the final ones once it has ended), its open connections (none before its first sample or after its
/// last, except that the last merged sample shows the parts that ended within its second as they ended), its
/// fixed-rate schedule. The merged rate is the requests completed in that second. A second's latency
/// percentiles are the highest among the parts' samples in it: the parts' histograms per interval do not travel,
/// and the highest part's percentile is an upper bound on the merged one (and a lowest part's a lower bound).
/// </remarks>
internal static class LoadTimelineAlignment
{
    public static LoadTimeline Align(IReadOnlyList<LoadResult> parts, DateTimeOffset start)
    {
        Part[] timed = [.. parts.Where(p => p.Timeline.Count > 0).Select(p => new Part(p, p.StartTime - start))];
        if (timed.Length == 0)
        {
            return LoadTimeline.Empty;
        }

        TimeSpan end = timed.Max(p => p.End);
        int seconds = Math.Max(1, (int)Math.Ceiling(end.TotalSeconds - 1e-9));
        int target = parts.Sum(p => p.ConnectionsRequested);
        var samples = new List<LoadProgress>(seconds);
        long previousRequests = 0;
        TimeSpan previousAt = TimeSpan.Zero;
        for (int second = 1; second <= seconds; second++)
        {
            TimeSpan at = second == seconds ? end : TimeSpan.FromSeconds(second);
            int open = 0;
            long requests = 0;
            long errors = 0;
            double? rate = null;
            TimeSpan? p50 = null;
            TimeSpan? p99 = null;
            TimeSpan? lag = null;
            foreach (Part part in timed)
            {
                if (part.LatestAt(at) is not { } latest)
                {
                    continue; // not started yet
                }

                requests += latest.Requests;
                errors += latest.Errors;
                // Open connections count until the part's end; the last sample (at the latest end) also counts those of
                // the parts that ended in its second, since parts that start together end moments apart.
                if (at <= part.End || (second == seconds && part.End > previousAt))
                {
                    open += latest.ConnectionsOpen;
                    rate = latest.TargetRate is { } r ? (rate ?? 0) + r : rate;
                }

                foreach (LoadProgress sample in part.Within(previousAt, at))
                {
                    p50 = Max(p50, sample.LatencyP50);
                    p99 = Max(p99, sample.LatencyP99);
                    lag = Max(lag, sample.ScheduleLag);
                }
            }

            double length = Math.Max((at - previousAt).TotalSeconds, 1e-9);
            samples.Add(new LoadProgress(at, open, target, requests, (requests - previousRequests) / length, errors, end, p50, p99, lag, rate));
            previousRequests = requests;
            previousAt = at;
        }

        return new LoadTimeline(samples);
    }

    private static TimeSpan? Max(TimeSpan? a, TimeSpan? b) => a is null ? b : b is null ? a : (a > b ? a : b);

    /// <summary>One part's samples, with their times moved to the merged clock.</summary>
    private sealed class Part(LoadResult result, TimeSpan offset)
    {
        private readonly LoadProgress[] _samples = [.. result.Timeline];

        /// <summary>When its last sample was taken: the part's end.</summary>
        public TimeSpan End => offset + _samples[^1].Elapsed;

        /// <summary>The latest sample at or before <paramref name="at"/>; null when there is none yet.</summary>
        public LoadProgress? LatestAt(TimeSpan at)
        {
            LoadProgress? latest = null;
            foreach (LoadProgress sample in _samples)
            {
                if (offset + sample.Elapsed > at)
                {
                    break;
                }

                latest = sample;
            }

            return latest;
        }

        /// <summary>The samples taken after <paramref name="from"/> and at or before <paramref name="to"/>.</summary>
        public IEnumerable<LoadProgress> Within(TimeSpan from, TimeSpan to) =>
            _samples.Where(s => offset + s.Elapsed > from && offset + s.Elapsed <= to);
    }
}
