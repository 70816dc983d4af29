using HdrHistogram;

namespace Netpoll.Load;

/// <summary>
/// Nanosecond latencies recorded from any thread without allocating (an HdrHistogram <see cref="Recorder"/>:
/// a writer-reader phaser over two concurrent histograms, 1 µs to one day at three significant digits).
/// One reader (the progress loop) takes an interval at a time and adds each into the run's total.
/// </summary>
internal sealed class LatencyRecorder
{
    /// <summary>Values below this are recorded in its bucket: network latencies are not told apart below a microsecond.</summary>
    public const long LowestNs = 1_000;

    /// <summary>The longest latency told apart; longer ones are recorded as this (a run lasts at most a day).</summary>
    public const long HighestNs = 86_400L * 1_000_000_000;

    public const int SignificantDigits = 3;

    private readonly Recorder _recorder = HistogramFactory.With64BitBucketSize()
        .WithValuesFrom(LowestNs)
        .WithValuesUpTo(HighestNs)
        .WithPrecisionOf(SignificantDigits)
        .WithThreadSafeWrites()
        .WithThreadSafeReads()
        .Create();

    private HistogramBase _spare;

    /// <summary>Takes an (empty) interval at once: the first sample allocates and compiles, which must not skew the first real interval.</summary>
    public LatencyRecorder()
    {
        _spare = _recorder.GetIntervalHistogram();
        Total.Add(_spare);
    }

    /// <summary>Everything taken so far. Read it after the last <see cref="TakeInterval"/>, on the reader's thread.</summary>
    public HistogramBase Total { get; } = NewHistogram();

    public static HistogramBase NewHistogram() => new LongHistogram(LowestNs, HighestNs, SignificantDigits);

    /// <summary>Records one value. Any thread; allocates nothing.</summary>
    public void Record(long nanoseconds) => _recorder.RecordValue(Math.Clamp(nanoseconds, 0, HighestNs));

    /// <summary>
    /// What was recorded since the last call, also added to <see cref="Total"/>. The histogram returned is
    /// reused by the next call: read it before then. One reader thread at a time.
    /// </summary>
    public HistogramBase TakeInterval()
    {
        HistogramBase interval = _recorder.GetIntervalHistogram(_spare);
        _spare = interval;

        // Add walks every bucket (tens of thousands): skip it for an empty interval (connect times after the ramp).
        if (interval.TotalCount > 0)
        {
            Total.Add(interval);
        }

        return interval;
    }
}
