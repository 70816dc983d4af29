namespace Netpoll.Load;

/// <summary>
/// When each request of a fixed-rate (open-model) test is due: request n (from 0) is due when the integral of
/// the rate reaches n. The rate is constant (<see cref="LoadOptions.Rate"/>) or piecewise linear over
/// <see cref="LoadOptions.Stages"/>; within a stage it moves in a straight line, so the count is quadratic in
/// time and each due time is the root of a quadratic. Stateless after construction: any thread may ask.
/// </summary>
internal sealed class RateSchedule
{
    private readonly Segment[] _segments;

    /// <param name="startRate">Requests per second at the start.</param>
    /// <param name="stages">Ramps to follow; none: <paramref name="startRate"/> held for <paramref name="duration"/> (null: for ever).</param>
    /// <param name="duration">How long a schedule without stages lasts; null: open-ended (a request count bounds the test).</param>
    public RateSchedule(double startRate, IReadOnlyList<LoadStage> stages, TimeSpan? duration)
    {
        var segments = new List<Segment>();
        double count = 0, at = 0, rate = startRate;
        if (stages.Count == 0)
        {
            double seconds = duration?.TotalSeconds ?? double.PositiveInfinity;
            segments.Add(new Segment(0, seconds, rate, rate, 0));
        }

        foreach (LoadStage stage in stages)
        {
            double seconds = stage.Duration.TotalSeconds;
            segments.Add(new Segment(at, seconds, rate, stage.Rate, count));
            count += (rate + stage.Rate) / 2 * seconds;
            at += seconds;
            rate = stage.Rate;
        }

        _segments = [.. segments];
        TotalSeconds = stages.Count == 0 ? duration?.TotalSeconds ?? double.PositiveInfinity : at;
    }

    /// <summary>How long the schedule runs (infinity when open-ended).</summary>
    public double TotalSeconds { get; }

    /// <summary>The highest rate it reaches.</summary>
    public double PeakRate => _segments.Max(s => Math.Max(s.StartRate, s.EndRate));

    /// <summary>Seconds from the start at which request <paramref name="n"/> is due; +infinity when the schedule ends before it.</summary>
    public double DueAt(long n)
    {
        foreach (Segment s in _segments)
        {
            double inSegment = n - s.CountBefore;
            if (inSegment < 0)
            {
                break;
            }

            double t = s.TimeOf(inSegment);
            if (t <= s.Seconds)
            {
                return s.Start + t;
            }
        }

        return double.PositiveInfinity;
    }

    /// <summary>How many requests are due at or before <paramref name="seconds"/> from the start.</summary>
    public long DueBy(double seconds)
    {
        double count = 0;
        foreach (Segment s in _segments)
        {
            if (seconds < s.Start)
            {
                break;
            }

            count = s.CountBefore + s.CountAt(Math.Min(seconds - s.Start, s.Seconds));
        }

        // Request n is due at count n, so the requests due by then are floor(count) + 1 (the first at 0) — when any rate starts at all.
        return count <= 0 && DueAt(0) > seconds ? 0 : (long)Math.Floor(count + 1e-9) + 1;
    }

    /// <summary>The rate at <paramref name="seconds"/> from the start; 0 after the end.</summary>
    public double RateAt(double seconds)
    {
        foreach (Segment s in _segments)
        {
            if (seconds >= s.Start && seconds <= s.Start + s.Seconds)
            {
                return s.RateAt(seconds - s.Start);
            }
        }

        // Past the end (the run's last sample is taken a moment after it): the rate the schedule ended at.
        return seconds > 0 && _segments.Length > 0 ? _segments[^1].EndRate : 0;
    }

    /// <summary>A stretch of linearly changing rate: count(t) = r0·t + (r1 − r0)·t² / (2·D).</summary>
    private readonly record struct Segment(double Start, double Seconds, double StartRate, double EndRate, double CountBefore)
    {
        private double Slope => double.IsInfinity(Seconds) || Seconds <= 0 ? 0 : (EndRate - StartRate) / Seconds;

        public double RateAt(double t) => StartRate + (Slope * t);

        public double CountAt(double t) => (StartRate * t) + (Slope * t * t / 2);

        /// <summary>The time within the segment at which its count reaches <paramref name="m"/>; +infinity if it never does.</summary>
        public double TimeOf(double m)
        {
            if (m <= 0)
            {
                return StartRate > 0 || Slope > 0 ? 0 : double.PositiveInfinity;
            }

            double a = Slope / 2;
            if (Math.Abs(a) < 1e-12)
            {
                return StartRate > 0 ? m / StartRate : double.PositiveInfinity;
            }

            double discriminant = (StartRate * StartRate) + (4 * a * m);
            if (discriminant < 0)
            {
                return double.PositiveInfinity; // a falling rate that reaches zero before this count
            }

            double t = (-StartRate + Math.Sqrt(discriminant)) / (2 * a);
            return t >= 0 ? t : double.PositiveInfinity;
        }
    }
}
