namespace Netpoll.Proxy;

/// <summary>
/// The proxy is down (toxiproxy's <c>enabled=false</c>): while it is on, new connections are refused and,
/// when it is added or updated, open ones are reset. Its stream is ignored. With toxicity 1 the listening
/// socket stops listening, so clients see "connection refused"; with a lower toxicity each new
/// connection is refused with that probability, by a reset right after accept (TCP cannot refuse some
/// connection attempts and take others).
/// </summary>
public sealed record DownToxic : Toxic
{
    public override ToxicType Type => ToxicType.Down;

    private protected override void ValidateAttributes()
    {
    }
}
