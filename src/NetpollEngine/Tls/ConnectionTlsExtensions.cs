using Netpoll.Connections;

namespace Netpoll.Tls;

/// <summary>TLS details of a connection, for handlers and dialers.</summary>
public static class ConnectionTlsExtensions
{
    /// <summary>What the connection's TLS handshake negotiated; null for a plain connection (or before its handshake completed).</summary>
    public static TlsConnectionInfo? GetTlsInfo(this Connection connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        return (connection.Transform as TlsTransform)?.GetInfo();
    }

    /// <summary>
    /// Why the connection's TLS failed, as a sentence naming the peer ("the server ended the session with TLS alert 116:
    /// tlsv13 alert certificate required"); null while it has not failed, and for a plain connection. A connection that
    /// closed with <see cref="CloseReason.Error"/> after its handshake completed may have failed here rather than in
    /// TCP: a fatal alert from the peer (over TLS 1.3 a server refuses the client's certificate only after the client
    /// finished its handshake), or a record that does not decrypt.
    /// </summary>
    public static string? GetTlsFailure(this Connection connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        return (connection.Transform as TlsTransform)?.FailureMessage;
    }

    /// <summary>
    /// Says the stream this connection carries was cut short (a relay whose source failed, say): its next half-close
    /// (<see cref="Connection.ShutdownSend"/>) or close goes without close_notify, so the peer reads a truncation, not a
    /// complete stream (RFC 8446 §6.1). Call before that half-close or close; a close_notify already sent stays sent.
    /// No effect on a plain connection.
    /// </summary>
    public static void MarkTruncated(this Connection connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        (connection.Transform as TlsTransform)?.CutShort();
    }
}
