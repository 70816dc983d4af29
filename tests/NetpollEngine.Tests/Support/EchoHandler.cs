using System.Collections.Concurrent;
using Netpoll.Buffers;
using Netpoll.Connections;

namespace Netpoll.Tests.Support;

/// <summary>Returns every byte it reads; the smallest real handler, written against the public API.
/// Records why each of its connections closed.</summary>
internal sealed class EchoHandler : ConnectionHandler
{
    public ConcurrentQueue<CloseReason> CloseReasons { get; } = new();

    public override void OnPrepare(Connection connection) =>
        connection.AddCloseCallback(c => CloseReasons.Enqueue(c.CloseReason));

    public override async ValueTask OnRequestAsync(Connection connection)
    {
        ConnectionReader reader = connection.Reader;
        ConnectionWriter writer = connection.Writer;
        int n = reader.Length;
        if (n == 0)
        {
            return;
        }

        // Append the input's nodes to the output: echo without copying.
        using (LinkBuffer slice = reader.Slice(n))
        {
            writer.Append(slice);
        }

        await writer.FlushAsync();
    }
}
