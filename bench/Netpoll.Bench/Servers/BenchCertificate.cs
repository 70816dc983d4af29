using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Netpoll.Bench;

/// <summary>
/// The one certificate every HTTPS server of a run uses: self-signed ECDSA P-256 (the common modern choice)
/// for localhost and 127.0.0.1, written once as a PFX without a password and loaded by each server process.
/// </summary>
internal static class BenchCertificate
{
    public static string Create(string path)
    {
        using ECDsa key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using X509Certificate2 certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        File.WriteAllBytes(path, certificate.Export(X509ContentType.Pfx));
        return path;
    }

    public static X509Certificate2 Load(string path) => X509CertificateLoader.LoadPkcs12FromFile(path, password: null);
}
