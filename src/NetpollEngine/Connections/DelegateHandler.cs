namespace Netpoll.Connections;

/// <summary>A <see cref="ConnectionHandler"/> made from one OnRequest delegate.</summary>
internal sealed class DelegateHandler(Func<Connection, ValueTask> onRequest) : ConnectionHandler
{
    public override ValueTask OnRequestAsync(Connection connection) => onRequest(connection);
}
