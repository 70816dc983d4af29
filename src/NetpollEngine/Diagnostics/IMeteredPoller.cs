namespace Netpoll.Diagnostics;

/// <summary>What the meter reads from a poller. Pollers implement it, so this layer needs no arrow to Polling.</summary>
internal interface IMeteredPoller
{
    int Id { get; }

    PollerCounters Counters { get; }

    /// <summary>Input bytes buffered and unread over the poller's connections, derived when asked.</summary>
    long BufferedInputBytes();

    PollerStats Snapshot();
}
