using System.Net;
using System.Security;
using System.Security.Cryptography.X509Certificates;

namespace Netpoll.PowerShell;

/// <summary>
/// Writes a certificate with its private key where New-NetpollCertificate -Path says: a .pfx/.p12 as PKCS#12
/// (protected by the password when one is given), anything else as PEM, the certificate then its key, readable by
/// the owner only (the key is not encrypted).
/// </summary>
internal static class CertificateFile
{
    public static void Write(X509Certificate2 certificate, string path, SecureString? password)
    {
        string extension = Path.GetExtension(path);
        if (extension.Equals(".pfx", StringComparison.OrdinalIgnoreCase) || extension.Equals(".p12", StringComparison.OrdinalIgnoreCase))
        {
            string? secret = password is null ? null : new NetworkCredential(string.Empty, password).Password;
            WritePrivate(path, certificate.Export(X509ContentType.Pkcs12, secret));
            return;
        }

        if (password is not null)
        {
            throw new ArgumentException("-Password protects a .pfx or .p12 file; a PEM file is written with its key unencrypted. Use a .pfx path, or leave out -Password.");
        }

        (string pem, string key) = SelfSignedCertificate.ToPem(certificate);
        WritePrivate(path, System.Text.Encoding.ASCII.GetBytes(pem + "\n" + key + "\n"));
    }

    private static void WritePrivate(string path, byte[] content)
    {
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using var file = new FileStream(path, options);
        file.Write(content);
    }
}
