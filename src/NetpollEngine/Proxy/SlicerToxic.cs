namespace Netpoll.Proxy;

/// <summary>
/// Splits data into separate writes of <see cref="AverageSize"/> ± <see cref="SizeVariation"/> bytes,
/// <see cref="Delay"/> apart (toxiproxy gives the delay in microseconds; a TimeSpan carries them).
/// </summary>
public sealed record SlicerToxic : Toxic
{
    /// <summary>The largest average slice, in bytes.</summary>
    public const int MaxSize = 1024 * 1024;

    /// <summary>Bytes, from 1 to <see cref="MaxSize"/>.</summary>
    public int AverageSize { get; init; }

    /// <summary>Bytes, from 0 to AverageSize − 1.</summary>
    public int SizeVariation { get; init; }

    public TimeSpan Delay { get; init; }

    public override ToxicType Type => ToxicType.Slicer;

    private protected override void ValidateAttributes()
    {
        CheckRange(AverageSize, 1, MaxSize, nameof(AverageSize));
        CheckRange(SizeVariation, 0, AverageSize - 1, nameof(SizeVariation));
        CheckDelay(Delay, nameof(Delay));
    }
}
