using Netpoll.Connections;

namespace Netpoll.Protocols;

/// <summary>Reads and drops everything (RFC 863 discard): a sink for load tests of the receive path.</summary>
public sealed class DiscardHandler : ConnectionHandler
{
    /// <summary>True: it skips input, never waits, so <see cref="DispatchMode.Auto"/> runs it on the poller thread.</summary>
    public override bool NeverBlocks => true;

    public override ValueTask OnRequestAsync(Connection connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        connection.Reader.Skip(connection.Reader.Length);
        return default;
    }
}
