namespace Netpoll.Polling;

/// <summary>How a <see cref="PollGroup"/> picks the poller for a new connection.</summary>
public enum LoadBalance
{
    /// <summary>Each poller in turn.</summary>
    RoundRobin,

    /// <summary>A uniformly random poller.</summary>
    Random,

    /// <summary>The poller with the fewest registered connections.</summary>
    LeastConnections,
}
