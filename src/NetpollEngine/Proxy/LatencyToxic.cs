namespace Netpoll.Proxy;

/// <summary>Delays every chunk of data by <see cref="Latency"/> ± <see cref="Jitter"/> from when the proxy read it; order is kept.</summary>
public sealed record LatencyToxic : Toxic
{
    public TimeSpan Latency { get; init; }

    /// <summary>Each chunk's delay is drawn uniformly from [Latency − Jitter, Latency + Jitter] (never below zero).</summary>
    public TimeSpan Jitter { get; init; }

    public override ToxicType Type => ToxicType.Latency;

    private protected override void ValidateAttributes()
    {
        CheckDelay(Latency, nameof(Latency));
        CheckDelay(Jitter, nameof(Jitter));
    }
}
