namespace Netpoll.Polling;

/// <summary>
/// One entry of a poller's registration table, indexed by the low half of a token. The target and the generation
/// share a cache line, so resolving a completion's token touches one line of the table instead of two.
/// </summary>
internal struct PollerSlot
{
    /// <summary>The registration, or null while the slot is free. Written by the poller thread; read by any (stats).</summary>
    public IPollable? Target;

    /// <summary>The generation the slot's tokens carry; bumped when the slot is freed, so older tokens no longer resolve. Poller thread.</summary>
    public uint Generation;
}
