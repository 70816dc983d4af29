namespace Netpoll.Proxy;

/// <summary>Limits throughput to <see cref="Rate"/> KB/s (1 KB = 1000 bytes, as in toxiproxy), sent in pieces of 100 ms worth.</summary>
public sealed record BandwidthToxic : Toxic
{
    /// <summary>The largest rate, in KB/s (10 GB/s).</summary>
    public const long MaxRate = 10_000_000;

    /// <summary>KB/s, from 1 to <see cref="MaxRate"/>.</summary>
    public long Rate { get; init; }

    public override ToxicType Type => ToxicType.Bandwidth;

    private protected override void ValidateAttributes() => CheckRange(Rate, 1, MaxRate, nameof(Rate));
}
