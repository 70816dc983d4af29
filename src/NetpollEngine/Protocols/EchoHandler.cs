using Netpoll.Connections;

namespace Netpoll.Protocols;

/// <summary>Returns every byte it receives, without copying: the input's memory is spliced into the output.</summary>
public sealed class EchoHandler : ConnectionHandler
{
    /// <summary>True: it splices and flushes, never waits, so <see cref="DispatchMode.Auto"/> runs it on the poller thread.</summary>
    public override bool NeverBlocks => true;

    public override ValueTask OnRequestAsync(Connection connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        int n = connection.Reader.Length;
        if (n == 0)
        {
            return default;
        }

        // Pooled nodes share the input's memory with the output: no copy, no allocation per request.
        return connection.Writer.AppendFromAndFlushAsync(connection.Reader, n);
    }
}
