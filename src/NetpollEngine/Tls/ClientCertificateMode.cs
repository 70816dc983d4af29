namespace Netpoll.Tls;

/// <summary>Whether a TLS server asks its clients for a certificate.</summary>
public enum ClientCertificateMode
{
    /// <summary>No certificate is asked for.</summary>
    None,

    /// <summary>A certificate is asked for; a client may send none, but one it sends must be valid.</summary>
    Optional,

    /// <summary>A valid certificate is required: a client that sends none fails the handshake.</summary>
    Required,
}
