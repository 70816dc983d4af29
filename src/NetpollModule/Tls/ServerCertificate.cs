using System.Management.Automation;
using System.Net;
using System.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Netpoll.PowerShell;

/// <summary>
/// What Start-NetpollServer -Certificate accepts, turned into a certificate with its private key: an
/// <see cref="X509Certificate2"/> as is, or a path to a PFX/PKCS#12 file or a PEM file (certificate and key in one
/// file, or the key in -CertificateKeyPath), either one optionally protected by -CertificatePassword.
/// </summary>
internal static class ServerCertificate
{
    /// <summary>
    /// A cmdlet's -Certificate (with -CertificateKeyPath and -CertificatePassword, paths relative to its location)
    /// loaded; a terminating <see cref="ErrorIds.CertificateInvalid"/> error when it cannot be, a warning when it expired.
    /// </summary>
    public static X509Certificate2 LoadFor(PSCmdlet cmdlet, object value, string? keyPath, SecureString? password)
    {
        X509Certificate2 certificate;
        try
        {
            certificate = Load(value, keyPath, password, cmdlet.SessionState.Path.GetUnresolvedProviderPathFromPSPath);
        }
        catch (ArgumentException ex)
        {
            cmdlet.ThrowTerminatingError(Invalid(ex, value));
            throw; // not reached: ThrowTerminatingError throws
        }

        if (certificate.NotAfter < DateTime.Now)
        {
            cmdlet.WriteWarning($"The certificate {certificate.Subject} expired on {certificate.NotAfter:u}; clients that check it will refuse the server.");
        }

        return certificate;
    }

    /// <summary>
    /// Ends the command when a parameter that only shapes -Certificate (its key file, its password, or
    /// <paramref name="tlsOnly"/>) was given without it: silently serving plaintext instead would surprise more.
    /// </summary>
    public static void RefuseWithoutCertificate(PSCmdlet cmdlet, object? certificate, params string[] tlsOnly)
    {
        if (certificate is not null)
        {
            return;
        }

        string[] given = [.. new[] { "CertificateKeyPath", "CertificatePassword" }.Concat(tlsOnly).Where(cmdlet.MyInvocation.BoundParameters.ContainsKey)];
        if (given.Length > 0)
        {
            string list = string.Join(", ", given.Select(p => "-" + p));
            cmdlet.ThrowTerminatingError(new ErrorRecord(new ArgumentException($"{list} appl{(given.Length == 1 ? "ies" : "y")} to TLS: add -Certificate, or leave {(given.Length == 1 ? "it" : "them")} out."),
                ErrorIds.ConflictingParameters, ErrorCategory.InvalidArgument, null));
        }
    }

    /// <summary>The error for a certificate that could not be loaded, or that OpenSSL refused when the server started.</summary>
    public static ErrorRecord Invalid(ArgumentException error, object? certificate) =>
        new(error, ErrorIds.CertificateInvalid, ErrorCategory.InvalidArgument, certificate);

    /// <exception cref="ArgumentException">Not a certificate or a path; a file that is missing, unreadable, or has no private key; a wrong password.</exception>
    public static X509Certificate2 Load(object value, string? keyPath, SecureString? password, Func<string, string> resolvePath)
    {
        object raw = value is PSObject ps ? ps.BaseObject : value;
        X509Certificate2 certificate = raw switch
        {
            X509Certificate2 given => given,
            string path => FromFile(resolvePath(path), keyPath is null ? null : resolvePath(keyPath), password),
            FileInfo file => FromFile(file.FullName, keyPath is null ? null : resolvePath(keyPath), password),
            _ => throw new ArgumentException($"-Certificate takes an X509Certificate2 or the path of a PFX or PEM file, not a {raw.GetType().Name}."),
        };

        if (!certificate.HasPrivateKey)
        {
            throw new ArgumentException($"The certificate {certificate.Subject} has no private key, and a server needs one: give a PFX, a PEM with its key (or -CertificateKeyPath), or a certificate from New-NetpollCertificate.");
        }

        return certificate;
    }

    private static X509Certificate2 FromFile(string path, string? keyPath, SecureString? password)
    {
        if (!File.Exists(path))
        {
            throw new ArgumentException($"The certificate file '{path}' does not exist.");
        }

        if (keyPath is not null && !File.Exists(keyPath))
        {
            throw new ArgumentException($"The key file '{keyPath}' does not exist.");
        }

        string? secret = password is null ? null : new NetworkCredential(string.Empty, password).Password;
        try
        {
            return IsPem(path)
                ? (secret is null ? X509Certificate2.CreateFromPemFile(path, keyPath) : X509Certificate2.CreateFromEncryptedPemFile(path, secret, keyPath))
                : X509CertificateLoader.LoadPkcs12FromFile(path, secret, X509KeyStorageFlags.Exportable);
        }
        catch (CryptographicException ex)
        {
            string hint = password is null ? " If it is protected, give -CertificatePassword." : " Check -CertificatePassword.";
            throw new ArgumentException($"The certificate in '{path}' could not be read: {ex.Message}.{hint}", ex);
        }
    }

    /// <summary>PEM is text that starts with (or contains) "-----BEGIN"; anything else is taken as PKCS#12.</summary>
    private static bool IsPem(string path)
    {
        Span<byte> head = stackalloc byte[256];
        using FileStream file = File.OpenRead(path);
        int read = file.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        return head[..read].IndexOf("-----BEGIN"u8) >= 0;
    }
}
