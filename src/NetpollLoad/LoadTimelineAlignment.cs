namespace Netpoll.Load;

/// <summary>
/// One timeline for tests that ran at the same time on several nodes: each part's samples are placed on the
/// wall clock (its <see cref="LoadResult.StartTime"/> plus their Elapsed), and the merged timeline has one
/// sample at the end of every second from the earliest start to the latest end (the last one at that end).
/// </summary>
/// <remarks>
/// The parts sample on their own clocks, so at a merged moment a part's cumulative requests and errors are read off
/// the straight line between its samples on either side (from none at its start; its final counts once it has
/// ended): the requests a part made between two of its samples are spread evenly over that interval, never moved
/// into a later one. So a merged sample's rate is the requests made in its window over that window's length (the
/// last window is only as long as what is left of the run), the merged samples' requests add up to the merged
/// total, and no merged rate exceeds the sum of the parts' peak rates. Holding a part at its last sample instead
/// put up to a whole interval of its requests into the next window: a last window of 0.03 s that got 0.5 s of
/// requests showed 25 times the rate. The other columns are the part's latest sample at or before the moment:
/// its open connections (none before its first sample or after its last, except that the last merged sample
/// shows the parts that ended within its second as they ended) and its fixed-rate schedule. A second's latency
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
        double previousRequests = 0;
        TimeSpan previousAt = TimeSpan.Zero;
        for (int second = 1; second <= seconds; second++)
        {
            TimeSpan at = second == seconds ? end : TimeSpan.FromSeconds(second);
            int open = 0;
            double requests = 0;
            double errors = 0;
            double? rate = null;
            TimeSpan? p50 = null;
            TimeSpan? p99 = null;
            TimeSpan? lag = null;
            foreach (Part part in timed)
            {
                requests += part.RequestsAt(at);
                errors += part.ErrorsAt(at);
                if (part.LatestAt(at) is not { } latest)
                {
                    continue; // no sample yet
                }

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
            double made = (requests - previousRequests) / length;
            samples.Add(new LoadProgress(at, open, target, (long)Math.Round(requests), made, (long)Math.Round(errors), end, p50, p99, lag, rate));
            previousRequests = requests;
            previousAt = at;
        }

        return new LoadTimeline(samples);
    }

    private static TimeSpan? Max(TimeSpan? a, TimeSpan? b) => a is null ? b : b is null ? a : (a > b ? a : b);

    /// <summary>
    /// One part's samples, with their times moved to the merged clock. Each merged second looks a part up by binary search
    /// over its sample times, not by a scan: an hour sampled every 0.5 s on 8 nodes took 9.5 s to merge that way.
    /// </summary>
    private sealed class Part
    {
        private readonly LoadResult _result;
        private readonly TimeSpan _offset;
        private readonly LoadProgress[] _samples; // in time order, as a run takes them
        private readonly TimeSpan[] _at;          // each sample's time on the merged clock, ascending

        public Part(LoadResult result, TimeSpan offset)
        {
            _result = result;
            _offset = offset;
            _samples = [.. result.Timeline.OrderBy(s => s.Elapsed)]; // stable: a timeline that crossed a serializer stays in order
            _at = Array.ConvertAll(_samples, s => offset + s.Elapsed);
        }

        /// <summary>When its last sample was taken: the part's end.</summary>
        public TimeSpan End => _at[^1];

        /// <summary>Requests made by <paramref name="at"/>: none at its start, the result's total from its end, in a straight line between samples.</summary>
        public double RequestsAt(TimeSpan at) => CountAt(at, s => s.Requests, _result.Requests);

        /// <summary>Errors by <paramref name="at"/>, read off the same way as <see cref="RequestsAt"/>.</summary>
        public double ErrorsAt(TimeSpan at) => CountAt(at, s => s.Errors, _samples[^1].Errors);

        /// <summary>A cumulative count at <paramref name="at"/>, the last sample's being <paramref name="final"/>.</summary>
        private double CountAt(TimeSpan at, Func<LoadProgress, long> count, long final)
        {
            int next = FirstAtOrAfter(at);
            if (next == _samples.Length)
            {
                return final;
            }

            // Between the sample before (or the part's start, with none) and the first at or after the moment.
            double value = next == _samples.Length - 1 ? final : count(_samples[next]);
            TimeSpan fromAt = next == 0 ? _offset : _at[next - 1];
            double from = next == 0 ? 0 : count(_samples[next - 1]);

            // Two samples at one moment (or one at the start) have no interval to spread over: the count steps there.
            double span = (_at[next] - fromAt).TotalSeconds;
            return at <= fromAt ? from : span <= 0 ? value : from + ((value - from) * (at - fromAt).TotalSeconds / span);
        }

        /// <summary>The latest sample at or before <paramref name="at"/>; null when there is none yet.</summary>
        public LoadProgress? LatestAt(TimeSpan at)
        {
            int after = FirstAfter(at);
            return after == 0 ? null : _samples[after - 1];
        }

        /// <summary>The samples taken after <paramref name="from"/> and at or before <paramref name="to"/>.</summary>
        public ArraySegment<LoadProgress> Within(TimeSpan from, TimeSpan to)
        {
            int first = FirstAfter(from);
            return new ArraySegment<LoadProgress>(_samples, first, Math.Max(0, FirstAfter(to) - first));
        }

        /// <summary>The index of the first sample taken at or after <paramref name="at"/> (the count when none is): times are whole ticks.</summary>
        private int FirstAtOrAfter(TimeSpan at) => FirstAfter(at - TimeSpan.FromTicks(1));

        /// <summary>The index of the first sample taken after <paramref name="at"/> (the count when none is).</summary>
        private int FirstAfter(TimeSpan at)
        {
            int low = 0;
            int high = _at.Length;
            while (low < high)
            {
                int middle = (low + high) >>> 1;
                if (_at[middle] <= at)
                {
                    low = middle + 1;
                }
                else
                {
                    high = middle;
                }
            }

            return low;
        }
    }
}
