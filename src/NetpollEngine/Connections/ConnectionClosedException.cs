namespace Netpoll.Connections;

/// <summary>A read, write or flush on a connection that is closed, or that closed while the call waited.</summary>
public sealed class ConnectionClosedException : IOException
{
    public ConnectionClosedException()
        : this("The connection is closed.")
    {
    }

    public ConnectionClosedException(string message)
        : base(message)
    {
    }

    public ConnectionClosedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public ConnectionClosedException(CloseReason reason, string message)
        : base(message)
    {
        Reason = reason;
    }

    /// <summary>Why the connection closed.</summary>
    public CloseReason Reason { get; }
}
