using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Netpoll.Tests.Tls;

/// <summary>
/// Certificates for the TLS tests, made once per test run: a test root CA, leaves it signed for
/// "localhost" (and 127.0.0.1, ::1), for other host names, one expired, and a client certificate.
/// Each leaf is reloaded from a PFX so it carries its private key the way users load one.
/// </summary>
internal static class TestCertificates
{
    private static readonly Lazy<X509Certificate2> s_root = new(() => CreateRoot("CN=Netpoll Test Root"));
    private static readonly Lazy<X509Certificate2> s_otherRoot = new(() => CreateRoot("CN=Netpoll Other Root"));
    private static readonly Lazy<X509Certificate2> s_localhost = new(() => Issue(Root, "CN=localhost", ["localhost"], serverAuth: true));
    private static readonly Lazy<X509Certificate2> s_expired = new(() => Issue(Root, "CN=localhost", ["localhost"], serverAuth: true, notAfter: DateTimeOffset.UtcNow.AddDays(-1)));
    private static readonly Lazy<X509Certificate2> s_client = new(() => Issue(Root, "CN=netpoll test client", [], serverAuth: false));
    private static readonly Lazy<X509Certificate2> s_untrustedClient = new(() => Issue(OtherRoot, "CN=stranger", [], serverAuth: false));

    public static X509Certificate2 Root => s_root.Value;

    public static X509Certificate2 OtherRoot => s_otherRoot.Value;

    /// <summary>Valid for localhost, 127.0.0.1 and ::1, signed by <see cref="Root"/>.</summary>
    public static X509Certificate2 Localhost => s_localhost.Value;

    /// <summary>Like <see cref="Localhost"/>, but it expired yesterday.</summary>
    public static X509Certificate2 Expired => s_expired.Value;

    /// <summary>A client certificate signed by <see cref="Root"/>.</summary>
    public static X509Certificate2 Client => s_client.Value;

    /// <summary>A client certificate signed by <see cref="OtherRoot"/>, which servers here do not trust.</summary>
    public static X509Certificate2 UntrustedClient => s_untrustedClient.Value;

    public static X509Certificate2Collection RootOnly => [Root];

    /// <summary>A leaf for <paramref name="hostNames"/> signed by <see cref="Root"/>.</summary>
    public static X509Certificate2 ForHosts(params string[] hostNames) => Issue(Root, $"CN={hostNames[0]}", hostNames, serverAuth: true);

    /// <summary>Writes <paramref name="certificate"/> (public part) as PEM, for tools such as curl --cacert.</summary>
    public static string WritePem(X509Certificate2 certificate, string path)
    {
        File.WriteAllText(path, certificate.ExportCertificatePem());
        return path;
    }

    /// <summary>Writes the certificate and its private key as PEM files, for tools such as openssl s_client -cert/-key.</summary>
    public static (string Certificate, string Key) WritePemWithKey(X509Certificate2 certificate, string directory, string name)
    {
        string cert = Path.Combine(directory, name + ".crt");
        string key = Path.Combine(directory, name + ".key");
        File.WriteAllText(cert, certificate.ExportCertificatePem());
        using ECDsa ecdsa = certificate.GetECDsaPrivateKey()!;
        File.WriteAllText(key, ecdsa.ExportPkcs8PrivateKeyPem());
        return (cert, key);
    }

    private static X509Certificate2 CreateRoot(string subject)
    {
        using ECDsa key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        using X509Certificate2 root = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-60), DateTimeOffset.UtcNow.AddYears(2));
        return Reload(root);
    }

    private static X509Certificate2 Issue(X509Certificate2 issuer, string subject, string[] hostNames, bool serverAuth, DateTimeOffset? notAfter = null)
    {
        using ECDsa key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(serverAuth ? "1.3.6.1.5.5.7.3.1" : "1.3.6.1.5.5.7.3.2")], false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromSubjectKeyIdentifier(issuer.Extensions.OfType<X509SubjectKeyIdentifierExtension>().Single()));
        if (hostNames.Length > 0)
        {
            var names = new SubjectAlternativeNameBuilder();
            foreach (string host in hostNames)
            {
                names.AddDnsName(host);
            }

            if (hostNames.Contains("localhost"))
            {
                names.AddIpAddress(IPAddress.Loopback);
                names.AddIpAddress(IPAddress.IPv6Loopback);
            }

            request.CertificateExtensions.Add(names.Build());
        }

        DateTimeOffset end = notAfter ?? DateTimeOffset.UtcNow.AddYears(1);
        DateTimeOffset start = end < DateTimeOffset.UtcNow ? end.AddDays(-30) : DateTimeOffset.UtcNow.AddDays(-1);
        byte[] serial = RandomNumberGenerator.GetBytes(12);
        using X509Certificate2 signed = request.Create(issuer, start, end, serial);
        using X509Certificate2 withKey = signed.CopyWithPrivateKey(key);
        return Reload(withKey);
    }

    private static X509Certificate2 Reload(X509Certificate2 certificate) =>
        X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pfx, "test"), "test");
}
