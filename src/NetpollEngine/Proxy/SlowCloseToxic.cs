namespace Netpoll.Proxy;

/// <summary>Holds the close (FIN) back for <see cref="Delay"/> after the data before it went through.</summary>
public sealed record SlowCloseToxic : Toxic
{
    public TimeSpan Delay { get; init; }

    public override ToxicType Type => ToxicType.SlowClose;

    private protected override void ValidateAttributes() => CheckDelay(Delay, nameof(Delay));
}
