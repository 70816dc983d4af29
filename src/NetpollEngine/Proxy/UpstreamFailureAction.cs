namespace Netpoll.Proxy;

/// <summary>What a <see cref="TcpProxy"/> does to the client when its upstream cannot be reached or fails.</summary>
public enum UpstreamFailureAction
{
    /// <summary>Deliver what the upstream sent, then close the client's connection (FIN).</summary>
    Close = 0,

    /// <summary>Deliver what the upstream sent, then reset the client's connection (RST).</summary>
    Reset = 1,
}
