namespace Netpoll.Diagnostics;

/// <summary>What the meter reads from a poller. Pollers implement it, so this layer needs no arrow to Polling.</summary>
internal interface IMeteredPoller
{
    int Id { get; }

    /// <summary>The current value of <paramref name="counter"/>, derived ones (buffered bytes, a wait in progress) included. Any thread.</summary>
    long Read(PollerCounter counter);
}
