namespace Netpoll.Tls;

/// <summary>
/// A TLS handshake did not complete within its timeout: the TCP connect had succeeded, so the peer accepted and did not
/// answer in time (overloaded, or not speaking TLS there). A <see cref="TimeoutException"/>, so code that catches those
/// keeps working; its own type lets a caller tell it from a TCP connect that timed out.
/// </summary>
public sealed class TlsHandshakeTimeoutException : TimeoutException
{
    public TlsHandshakeTimeoutException()
        : this("The TLS handshake timed out.")
    {
    }

    public TlsHandshakeTimeoutException(string message)
        : base(message)
    {
    }

    public TlsHandshakeTimeoutException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
