namespace Netpoll.Proxy;

/// <summary>
/// A toxic as one direction of one connection carries it: the definition, whether its toxicity roll
/// applied it here, and the state it keeps. Fields change only under the pipe's gate.
/// </summary>
internal sealed class AppliedToxic
{
    public AppliedToxic(Toxic definition, bool applies, AppliedToxic? previous, long nowUs)
    {
        Definition = definition;
        Applies = applies;
        if (definition is LimitDataToxic && previous?.Definition is LimitDataToxic)
        {
            Transmitted = previous.Transmitted; // toxiproxy keeps a limit's count across updates
            Triggered = previous.Triggered;
        }

        if (applies && definition is TimeoutToxic { Timeout: var timeout } && timeout > TimeSpan.Zero)
        {
            DeadlineUs = nowUs + ProxyClock.Micros(timeout); // counted from when the toxic met the connection
        }
    }

    public Toxic Definition { get; }

    /// <summary>Its toxicity roll came up for this direction of this connection.</summary>
    public bool Applies { get; }

    /// <summary>limit_data: bytes let through so far.</summary>
    public long Transmitted { get; set; }

    /// <summary>reset_peer: data arrived and the reset is scheduled; limit_data: the close is queued.</summary>
    public bool Triggered { get; set; }

    /// <summary>timeout: when it closes the connection; reset_peer: when it resets it. Zero: not scheduled.</summary>
    public long DeadlineUs { get; set; }

    /// <summary>bandwidth: when the last piece it paced goes out.</summary>
    public long ClockUs { get; set; }

    /// <summary>Holds data back in time (so changing it releases what it held).</summary>
    public bool HoldsData => Applies && Definition.Type is ToxicType.Latency or ToxicType.Bandwidth or ToxicType.Slicer;

    /// <summary>Changes the bytes that go through (so they cannot take the direct path).</summary>
    public bool ShapesData => Applies && Definition.Type is not (ToxicType.SlowClose or ToxicType.Down);
}
