namespace Netpoll.Load;

/// <summary>
/// An HDR-style log-linear histogram of nanosecond values: exact below 128 ns, then 64 linear
/// sub-buckets per power of two (under 1.6 % error), up to 2^40 ns (~18 minutes). A fixed array of
/// counters: recording allocates nothing and is safe from many threads.
/// </summary>
public sealed class LatencyHistogram
{
    private const int LinearLimit = 128;          // values below are their own bucket
    private const int SubBucketBits = 6;          // 64 sub-buckets per power of two
    private const int MaxExponent = 40;
    private const int BucketCount = LinearLimit + ((MaxExponent - 7 + 1) << SubBucketBits);

    private readonly long[] _counts = new long[BucketCount];
    private long _count;
    private long _max;
    private long _sum;

    public long Count => Volatile.Read(ref _count);

    public TimeSpan Max => FromNanoseconds(Volatile.Read(ref _max));

    public TimeSpan Mean => Count == 0 ? TimeSpan.Zero : FromNanoseconds(Volatile.Read(ref _sum) / Count);

    public void Record(long nanoseconds)
    {
        if (nanoseconds < 0)
        {
            nanoseconds = 0;
        }

        Interlocked.Increment(ref _counts[IndexOf(nanoseconds)]);
        Interlocked.Increment(ref _count);
        Interlocked.Add(ref _sum, nanoseconds);
        long max = Volatile.Read(ref _max);
        while (nanoseconds > max)
        {
            long seen = Interlocked.CompareExchange(ref _max, nanoseconds, max);
            if (seen == max)
            {
                break;
            }

            max = seen;
        }
    }

    /// <summary>The value at or below which <paramref name="percentile"/> % of recorded values lie (upper edge of its bucket, capped at the max).</summary>
    public TimeSpan Percentile(double percentile)
    {
        if (percentile is < 0 or > 100 || double.IsNaN(percentile))
        {
            throw new ArgumentOutOfRangeException(nameof(percentile), percentile, "A percentile is between 0 and 100.");
        }

        long total = Count;
        if (total == 0)
        {
            return TimeSpan.Zero;
        }

        long rank = Math.Max(1, (long)Math.Ceiling(percentile / 100.0 * total));
        long seen = 0;
        for (int i = 0; i < _counts.Length; i++)
        {
            seen += Volatile.Read(ref _counts[i]);
            if (seen >= rank)
            {
                return FromNanoseconds(Math.Min(UpperEdgeOf(i), Volatile.Read(ref _max)));
            }
        }

        return Max;
    }

    /// <summary>Adds every count of <paramref name="other"/> to this histogram.</summary>
    public void Add(LatencyHistogram other)
    {
        ArgumentNullException.ThrowIfNull(other);
        for (int i = 0; i < _counts.Length; i++)
        {
            Interlocked.Add(ref _counts[i], Volatile.Read(ref other._counts[i]));
        }

        Interlocked.Add(ref _count, other.Count);
        Interlocked.Add(ref _sum, Volatile.Read(ref other._sum));
        long max = Volatile.Read(ref other._max);
        if (max > Volatile.Read(ref _max))
        {
            Volatile.Write(ref _max, max);
        }
    }

    internal static int IndexOf(long value)
    {
        if (value < LinearLimit)
        {
            return (int)value;
        }

        int exponent = Math.Min(63 - (int)long.LeadingZeroCount(value), MaxExponent);
        if (exponent == MaxExponent && value >= 1L << (MaxExponent + 1))
        {
            return BucketCount - 1;
        }

        int sub = (int)((value >> (exponent - SubBucketBits)) & ((1 << SubBucketBits) - 1));
        return LinearLimit + ((exponent - 7) << SubBucketBits) + sub;
    }

    internal static long UpperEdgeOf(int index)
    {
        if (index < LinearLimit)
        {
            return index;
        }

        int exponent = ((index - LinearLimit) >> SubBucketBits) + 7;
        int sub = (index - LinearLimit) & ((1 << SubBucketBits) - 1);
        long width = 1L << (exponent - SubBucketBits);
        return (1L << exponent) + ((sub + 1) * width) - 1;
    }

    private static TimeSpan FromNanoseconds(long ns) => TimeSpan.FromTicks(ns / 100);
}
