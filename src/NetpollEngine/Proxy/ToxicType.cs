namespace Netpoll.Proxy;

/// <summary>The kinds of toxic a <see cref="TcpProxy"/> applies, as toxiproxy defines them.</summary>
public enum ToxicType
{
    /// <summary>Delays data by a latency, plus or minus a jitter.</summary>
    Latency = 0,

    /// <summary>Limits throughput to a rate in KB/s.</summary>
    Bandwidth = 1,

    /// <summary>Delays the close (FIN) by a delay after the data.</summary>
    SlowClose = 2,

    /// <summary>Stops all data; closes the connection after a timeout (never when zero).</summary>
    Timeout = 3,

    /// <summary>Resets the connection (TCP RST) a timeout after data arrives.</summary>
    ResetPeer = 4,

    /// <summary>Splits data into small writes of a varying size, with a delay between them.</summary>
    Slicer = 5,

    /// <summary>Closes the connection once a number of bytes went through.</summary>
    LimitData = 6,

    /// <summary>The proxy is down: new connections are refused and open ones reset.</summary>
    Down = 7,
}
