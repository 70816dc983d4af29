namespace Netpoll.Connections;

/// <summary>Why a connection closed. Exactly one reason is recorded, by whichever trigger came first.</summary>
public enum CloseReason
{
    None,
    /// <summary>This side called <see cref="Connection.Close"/>.</summary>
    Local,
    /// <summary>The peer closed (FIN) and everything it sent was handled.</summary>
    PeerClosed,
    /// <summary>The peer reset the connection or the socket reported an error.</summary>
    Error,
    /// <summary>No bytes moved for longer than the idle timeout.</summary>
    IdleTimeout,
    /// <summary>Output could not be written within the write timeout.</summary>
    WriteTimeout,
    /// <summary>The handler threw.</summary>
    HandlerError,
    /// <summary>The server shut down (gracefully or at its deadline).</summary>
    Shutdown,
    /// <summary>The request deadline set with <see cref="Connection.SetRequestDeadline"/> passed (for HTTP: a slow request head or body).</summary>
    RequestTimeout,
    /// <summary>The TLS handshake failed: bytes that are not TLS, no common version or cipher, a rejected certificate, an unknown host name. The peer closing mid-handshake is <see cref="PeerClosed"/>.</summary>
    HandshakeFailed,
    /// <summary>The TLS handshake did not complete within its deadline.</summary>
    HandshakeTimeout,
}
