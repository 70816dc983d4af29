namespace Netpoll.Proxy;

/// <summary>Which way a toxic acts (toxiproxy's "stream").</summary>
public enum ToxicStream
{
    /// <summary>Bytes the client sends to the upstream server (requests).</summary>
    Upstream = 0,

    /// <summary>Bytes the upstream server sends back to the client (responses).</summary>
    Downstream = 1,
}
