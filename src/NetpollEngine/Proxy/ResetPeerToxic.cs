namespace Netpoll.Proxy;

/// <summary>
/// "Connection reset by peer": when data arrives, it is dropped and both sides are reset (TCP RST)
/// <see cref="Timeout"/> later (at once when zero).
/// </summary>
public sealed record ResetPeerToxic : Toxic
{
    public TimeSpan Timeout { get; init; }

    public override ToxicType Type => ToxicType.ResetPeer;

    private protected override void ValidateAttributes() => CheckDelay(Timeout, nameof(Timeout));
}
