using Netpoll.Buffers;

namespace Netpoll.Connections;

/// <summary>What a connection needs from the server or dialer that created it.</summary>
internal interface IConnectionOwner
{
    /// <summary>The server's or dialer's name (metrics and events).</summary>
    string Name { get; }

    BufferPool Pool { get; }

    ConnectionOptions Options { get; }

    /// <summary>Graceful shutdown in progress: connections close when their handler goes idle.</summary>
    bool IsShuttingDown { get; }

    /// <summary>Called once per connection after its fd is closed.</summary>
    void OnConnectionClosed(Connection connection);
}
