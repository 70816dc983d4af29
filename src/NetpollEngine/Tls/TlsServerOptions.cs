using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;

namespace Netpoll.Tls;

/// <summary>
/// TLS for a server (<c>EventLoopOptions.Tls</c>): its certificates, the protocols it speaks, and what it asks
/// of clients. Every accepted connection handshakes first; handlers then read and write plaintext.
/// </summary>
/// <example>
/// <code>
/// var tls = new TlsServerOptions { Certificate = cert, ApplicationProtocols = ["http/1.1"] };
/// await using var loop = new EventLoop(new HttpHandler(), new EventLoopOptions { Tls = tls });
/// </code>
/// </example>
public sealed record TlsServerOptions
{
    /// <summary>
    /// The certificate (with its private key) for clients that ask for no host name, or for one not in
    /// <see cref="HostCertificates"/>. Null: such clients are refused (an unrecognized_name alert).
    /// </summary>
    public X509Certificate2? Certificate { get; init; }

    /// <summary>Certificates by host name (SNI), e.g. "api.example.com" or "*.example.com". Names match case-insensitively.</summary>
    public IReadOnlyDictionary<string, X509Certificate2>? HostCertificates { get; init; }

    /// <summary>Intermediate certificates: each certificate is sent with those of them that lead up to its root.</summary>
    public X509Certificate2Collection? CertificateChain { get; init; }

    /// <summary>ALPN protocols in the server's order of preference (e.g. "h2", "http/1.1"). A client offering ALPN with none in common is refused with a fatal no_application_protocol alert (RFC 7301 §3.2); one offering none is served without ALPN.</summary>
    public IReadOnlyList<string>? ApplicationProtocols { get; init; }

    /// <summary><see cref="SslProtocols.Tls12"/>, <see cref="SslProtocols.Tls13"/> or both; <see cref="SslProtocols.None"/> (the default) means both.</summary>
    public SslProtocols EnabledProtocols { get; init; }

    /// <summary>Whether clients are asked for a certificate.</summary>
    public ClientCertificateMode ClientCertificateMode { get; init; }

    /// <summary>The roots a client certificate must chain to. Null: the system's trusted roots.</summary>
    public X509Certificate2Collection? ClientCertificateTrust { get; init; }

    /// <summary>
    /// Decides on a client certificate instead of the built-in check (called off the poller thread, after the
    /// handshake, with the connection as sender; the errors are what the built-in check found). False refuses it.
    /// </summary>
    public RemoteCertificateValidationCallback? ClientCertificateValidation { get; init; }

    /// <summary>Issue session tickets so clients can resume (a shorter handshake). On by default.</summary>
    public bool SessionTickets { get; init; } = true;

    /// <summary>A handshake that has not completed after this long closes its connection. Zero: no limit. Default 10 s.</summary>
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(10);

    internal void Validate()
    {
        if (Certificate is null && (HostCertificates is null || HostCertificates.Count == 0))
        {
            throw new ArgumentException("A TLS server needs a certificate: set Certificate, HostCertificates, or both.", nameof(Certificate));
        }

        if (HostCertificates is not null)
        {
            foreach ((string name, X509Certificate2 certificate) in HostCertificates)
            {
                TlsNames.ValidateHostName(name, nameof(HostCertificates));
                ArgumentNullException.ThrowIfNull(certificate, $"{nameof(HostCertificates)}[{name}]");
            }
        }

        TlsNames.ValidateProtocols(ApplicationProtocols, nameof(ApplicationProtocols));
        TlsNames.ValidateVersions(EnabledProtocols, nameof(EnabledProtocols));
        if (!Enum.IsDefined(ClientCertificateMode))
        {
            throw new ArgumentOutOfRangeException(nameof(ClientCertificateMode), ClientCertificateMode, "ClientCertificateMode must be None, Optional or Required.");
        }

        TlsNames.ValidateTimeout(HandshakeTimeout, nameof(HandshakeTimeout));
    }
}
