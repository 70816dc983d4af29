using CsCheck;
using Netpoll.Load;

namespace Netpoll.Load.Tests;

public class LatencyHistogramTests
{
    [Fact]
    public void Percentiles_are_within_the_bucket_precision_of_the_exact_answer()
    {
        Gen.Long[0, 10_000_000_000L].Array[1, 2000].Sample(values =>
        {
            var histogram = new LatencyHistogram();
            foreach (long v in values)
            {
                histogram.Record(v);
            }

            long[] sorted = [.. values.Order()];
            foreach (double p in new[] { 50.0, 90, 99, 99.9, 100 })
            {
                long exact = sorted[Math.Max(0, (int)Math.Ceiling(p / 100 * sorted.Length) - 1)];
                double reported = histogram.Percentile(p).Ticks * 100.0;
                // 1/64 relative error from the buckets, plus the 100 ns TimeSpan tick.
                Assert.InRange(reported, exact - 100, (exact * (1 + (1.0 / 64))) + 100);
            }

            Assert.Equal(sorted[^1] / 100, histogram.Max.Ticks);
        });
    }

    [Fact]
    public void Bucket_indexes_are_monotonic_and_cover_their_values()
    {
        int previous = -1;
        for (long v = 0; v < 1L << 41; v = v < 1000 ? v + 1 : v + (v / 97))
        {
            int index = LatencyHistogram.IndexOf(v);
            Assert.True(index >= previous, $"index of {v} went backwards");
            Assert.True(LatencyHistogram.UpperEdgeOf(index) >= v, $"bucket {index} does not cover {v}");
            previous = index;
        }
    }

    [Fact]
    public void An_empty_histogram_reports_zero_and_bad_percentiles_are_rejected()
    {
        var histogram = new LatencyHistogram();
        Assert.Equal(TimeSpan.Zero, histogram.Percentile(99));
        Assert.Throws<ArgumentOutOfRangeException>(() => histogram.Percentile(101));
    }
}
