namespace Netpoll.Protocols;

/// <summary>Reads and drops everything (RFC 863 discard): a sink for load tests of the receive path.</summary>
public sealed class DiscardHandler : ConnectionHandler
{
    public override ValueTask OnRequestAsync(Connection connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        connection.Reader.Skip(connection.Reader.Length);
        return default;
    }
}
