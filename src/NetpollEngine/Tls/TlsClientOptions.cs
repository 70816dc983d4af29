using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;

namespace Netpoll.Tls;

/// <summary>
/// TLS for a dialer's connections (<c>DialerOptions.Tls</c>): whom the client expects, what it offers, and how it
/// checks the server. <c>ConnectAsync</c> completes once the handshake did and the server's certificate was accepted.
/// </summary>
public sealed record TlsClientOptions
{
    /// <summary>The server's host name: sent as SNI and checked against the server's certificate. Null: the address dialed (an IP address is checked against the certificate's IP entries, and no SNI is sent).</summary>
    public string? TargetHost { get; init; }

    /// <summary>ALPN protocols to offer, in order of preference (e.g. "h2", "http/1.1").</summary>
    public IReadOnlyList<string>? ApplicationProtocols { get; init; }

    /// <summary><see cref="SslProtocols.Tls12"/>, <see cref="SslProtocols.Tls13"/> or both; <see cref="SslProtocols.None"/> (the default) means both.</summary>
    public SslProtocols EnabledProtocols { get; init; }

    /// <summary>Accept any server certificate: no chain and no name check. For tests and load against self-signed servers only.</summary>
    public bool SkipCertificateValidation { get; init; }

    /// <summary>The roots the server's certificate must chain to. Null: the system's trusted roots.</summary>
    public X509Certificate2Collection? TrustedRoots { get; init; }

    /// <summary>
    /// Decides on the server's certificate instead of the built-in check (called off the poller thread, after the
    /// handshake, with the connection as sender; the errors are what the built-in check found). False fails the connect.
    /// </summary>
    public RemoteCertificateValidationCallback? RemoteCertificateValidation { get; init; }

    /// <summary>A certificate (with its private key) to present when the server asks for one.</summary>
    public X509Certificate2? ClientCertificate { get; init; }

    /// <summary>Keep sessions (tickets) per server and resume them on the next connection: a shorter handshake. On by default.</summary>
    public bool SessionResumption { get; init; } = true;

    /// <summary>A handshake that has not completed after this long fails the connect with a <see cref="TimeoutException"/>. Zero: no limit. Default 10 s.</summary>
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(10);

    internal void Validate()
    {
        if (TargetHost is not null)
        {
            TlsNames.ValidateHostName(TargetHost, nameof(TargetHost), allowWildcard: false);
        }

        if (SkipCertificateValidation && RemoteCertificateValidation is not null)
        {
            throw new ArgumentException("Set SkipCertificateValidation or RemoteCertificateValidation, not both.", nameof(RemoteCertificateValidation));
        }

        TlsNames.ValidateProtocols(ApplicationProtocols, nameof(ApplicationProtocols));
        TlsNames.ValidateVersions(EnabledProtocols, nameof(EnabledProtocols));
        TlsNames.ValidateTimeout(HandshakeTimeout, nameof(HandshakeTimeout));
    }
}
