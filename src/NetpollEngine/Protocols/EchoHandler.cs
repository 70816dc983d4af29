namespace Netpoll.Protocols;

/// <summary>Returns every byte it receives, without copying: the input's memory is spliced into the output.</summary>
public sealed class EchoHandler : ConnectionHandler
{
    public override ValueTask OnRequestAsync(Connection connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        int n = connection.Reader.Length;
        if (n == 0)
        {
            return default;
        }

        using (LinkBuffer received = connection.Reader.Slice(n))
        {
            connection.Writer.Append(received);
        }

        return connection.Writer.FlushAsync();
    }
}
