namespace Netpoll.Protocols;

/// <summary>What a response says about the connection after it (RFC 9112 §9.3).</summary>
internal enum HttpPersistence
{
    /// <summary>HTTP/1.1 default: nothing to say, the connection stays open.</summary>
    KeepAlive,

    /// <summary>An HTTP/1.0 client asked to keep the connection: "Connection: keep-alive".</summary>
    KeepAlive10,

    /// <summary>"Connection: close", and the server closes after sending.</summary>
    Close,
}
