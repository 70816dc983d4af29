using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;

namespace Netpoll.Tls;

/// <summary>What a TLS connection negotiated (<see cref="ConnectionTlsExtensions.GetTlsInfo"/>).</summary>
public sealed class TlsConnectionInfo
{
    private readonly Lazy<X509Certificate2?> _remoteCertificate;

    internal TlsConnectionInfo(SslProtocols protocol, string cipherSuite, string? applicationProtocol, string? hostName, bool isResumed, Func<X509Certificate2?> remoteCertificate)
    {
        Protocol = protocol;
        CipherSuite = cipherSuite;
        ApplicationProtocol = applicationProtocol;
        HostName = hostName;
        IsResumed = isResumed;
        _remoteCertificate = new Lazy<X509Certificate2?>(remoteCertificate);
    }

    /// <summary>TLS 1.2 or 1.3.</summary>
    public SslProtocols Protocol { get; }

    /// <summary>The cipher suite's IANA name, e.g. TLS_AES_256_GCM_SHA384.</summary>
    public string CipherSuite { get; }

    /// <summary>The ALPN protocol both sides chose (e.g. "http/1.1"); null when none was.</summary>
    public string? ApplicationProtocol { get; }

    /// <summary>A server: the host name (SNI) the client asked for. A client: the host name it targeted.</summary>
    public string? HostName { get; }

    /// <summary>The handshake resumed an earlier session (a ticket) instead of a full key exchange.</summary>
    public bool IsResumed { get; }

    /// <summary>The peer's certificate: the server's on a client; a client's on a server, when it sent one. Made on first use.</summary>
    public X509Certificate2? RemoteCertificate => _remoteCertificate.Value;
}
