namespace Netpoll.Proxy;

/// <summary>Lets <see cref="Bytes"/> bytes through in its direction, then closes the connection (both sides).</summary>
public sealed record LimitDataToxic : Toxic
{
    public long Bytes { get; init; }

    public override ToxicType Type => ToxicType.LimitData;

    private protected override void ValidateAttributes() => CheckRange(Bytes, 0, long.MaxValue, nameof(Bytes));
}
