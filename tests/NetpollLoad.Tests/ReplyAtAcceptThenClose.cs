using Netpoll.Connections;

namespace Netpoll.Load.Tests;

/// <summary>
/// Writes its bytes the moment a connection is accepted and closes it: redis-server past maxclients (one whole error
/// line), or a server that falls over while greeting (part of one).
/// </summary>
internal sealed class ReplyAtAcceptThenClose(byte[] reply) : ConnectionHandler
{
    public override async ValueTask OnConnectAsync(Connection connection)
    {
        connection.Writer.WriteBinary(reply);
        await connection.Writer.FlushAsync();
        connection.Close();
    }

    public override ValueTask OnRequestAsync(Connection connection)
    {
        connection.Reader.Skip(connection.Reader.Length); // closing already: what the client sent is never answered
        return default;
    }
}
