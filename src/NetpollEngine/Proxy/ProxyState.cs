namespace Netpoll.Proxy;

/// <summary>Where a <see cref="TcpProxy"/> is in its life.</summary>
public enum ProxyState
{
    /// <summary>Accepting and forwarding.</summary>
    Running = 0,

    /// <summary>A <see cref="DownToxic"/> with toxicity 1 is on: connection attempts are refused.</summary>
    Down = 1,

    /// <summary>Stopping: closing its connections.</summary>
    Stopping = 2,

    /// <summary>Stopped; its port is free.</summary>
    Stopped = 3,
}
