namespace Netpoll.Proxy;

/// <summary>
/// A black hole: no data gets through; the connection is closed <see cref="Timeout"/> after the toxic met
/// it, or never when zero (data is then dropped until the toxic is removed).
/// </summary>
public sealed record TimeoutToxic : Toxic
{
    public TimeSpan Timeout { get; init; }

    public override ToxicType Type => ToxicType.Timeout;

    private protected override void ValidateAttributes() => CheckDelay(Timeout, nameof(Timeout));
}
