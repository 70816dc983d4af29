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

    /// <summary>For a relay whose source failed: the connection's next FIN or close omits close_notify (see <see cref="TlsTransform.CutShort"/>). No effect on a plain connection.</summary>
    internal static void MarkCutShort(this Connection connection) => (connection.Transform as TlsTransform)?.CutShort();
}
