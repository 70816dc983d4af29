namespace Netpoll.Load;

/// <summary>What each load connection does.</summary>
public enum LoadPattern
{
    /// <summary>Send a message, wait for the whole echo, repeat: one request in flight per connection.</summary>
    PingPong,

    /// <summary>Keep <see cref="LoadOptions.Pipeline"/> echo requests in flight per connection.</summary>
    Pipelined,

    /// <summary>HTTP/1.1 GET / with keep-alive, one in flight (Pipeline > 1 pipelines them).</summary>
    Http,

    /// <summary>Open the connections and hold them without sending.</summary>
    Idle,
}
