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
}
