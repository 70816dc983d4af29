using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Netpoll.PowerShell;

/// <summary>
/// A self-signed server certificate for tests: an ECDSA P-256 key (fast handshakes, every client supports it), the
/// names and addresses as SANs, serverAuth, and usable as its own trust root (curl --cacert, openssl -CAfile).
/// </summary>
internal static class SelfSignedCertificate
{
    public static X509Certificate2 Create(IReadOnlyList<string> dnsNames, IReadOnlyList<IPAddress> addresses, TimeSpan validFor)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        string subject = dnsNames.Count > 0 ? dnsNames[0] : addresses[0].ToString();
        var request = new CertificateRequest(new X500DistinguishedName($"CN={subject}"), key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        foreach (string name in dnsNames)
        {
            names.AddDnsName(name);
        }

        foreach (IPAddress address in addresses)
        {
            names.AddIpAddress(address);
        }

        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: true, hasPathLengthConstraint: true, pathLengthConstraint: 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyCertSign, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false));
        DateTimeOffset now = DateTimeOffset.UtcNow;
        using X509Certificate2 made = request.CreateSelfSigned(now.AddMinutes(-5), now.Add(validFor));

        // Through PKCS#12 so the key is a persisted, exportable one on every platform (an ephemeral key is not on Windows).
        return X509CertificateLoader.LoadPkcs12(made.Export(X509ContentType.Pkcs12), null, X509KeyStorageFlags.Exportable);
    }

    /// <summary>The certificate as PEM, and its private key as unencrypted PKCS#8 PEM (for curl --cacert, nginx, openssl).</summary>
    public static (string Certificate, string Key) ToPem(X509Certificate2 certificate)
    {
        using AsymmetricAlgorithm key = (AsymmetricAlgorithm?)certificate.GetECDsaPrivateKey() ?? certificate.GetRSAPrivateKey()
            ?? throw new ArgumentException($"The certificate {certificate.Subject} has no exportable private key.");
        return (certificate.ExportCertificatePem(), key.ExportPkcs8PrivateKeyPem());
    }
}
