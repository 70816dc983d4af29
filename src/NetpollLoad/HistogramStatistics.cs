using HdrHistogram;

namespace Netpoll.Load;

/// <summary>TimeSpans read from a nanosecond HdrHistogram; null when it recorded nothing (no data is not a zero).</summary>
internal static class HistogramStatistics
{
    public static TimeSpan? Percentile(HistogramBase histogram, double percentile) =>
        histogram.TotalCount == 0 ? null : FromNanoseconds(Math.Min(histogram.GetValueAtPercentile(percentile), histogram.GetMaxValue()));

    public static TimeSpan? Max(HistogramBase histogram) =>
        histogram.TotalCount == 0 ? null : FromNanoseconds(histogram.GetMaxValue());

    public static TimeSpan? Mean(HistogramBase histogram) =>
        histogram.TotalCount == 0 ? null : FromNanoseconds((long)histogram.GetMean());

    public static TimeSpan FromNanoseconds(long nanoseconds) => TimeSpan.FromTicks(nanoseconds / 100);
}
