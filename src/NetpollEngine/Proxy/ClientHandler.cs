using Netpoll.Connections;

namespace Netpoll.Proxy;

/// <summary>The handler of a proxy's client connections: each one becomes a <see cref="ProxyLink"/>.</summary>
internal sealed class ClientHandler(TcpProxy proxy) : ConnectionHandler
{
    /// <summary>True: it dials without waiting, and each pipe only moves bytes and awaits.</summary>
    public override bool NeverBlocks => true;

    /// <summary>
    /// Every accepted client counts here, on the poller, before any TLS handshake: one that never reaches
    /// <see cref="OnConnectAsync"/> (its handshake failed, timed out, or it left first) is still counted, and ended.
    /// </summary>
    public override void OnPrepare(Connection connection) => proxy.OnClientAccepted(connection);

    public override ValueTask OnConnectAsync(Connection connection) => proxy.OnClientAsync(connection);

    /// <summary>Only reached after the link ended (its pipe's reader is the connection's one long call).</summary>
    public override ValueTask OnRequestAsync(Connection connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        connection.Close();
        return default;
    }
}
