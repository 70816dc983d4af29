using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Netpoll.Interop;

namespace Netpoll.Tls;

/// <summary>
/// Moves certificates between .NET and OpenSSL in DER: a certificate and its private key into an SSL_CTX,
/// trusted roots into an X509_STORE, and the peer's certificates back out as <see cref="X509Certificate2"/>.
/// </summary>
internal static unsafe class TlsCertificates
{
    /// <summary>Makes <paramref name="certificate"/> (with its private key) the context's certificate, and sends the intermediates found in <paramref name="chain"/> with it.</summary>
    public static void Use(TlsContextHandle context, X509Certificate2 certificate, X509Certificate2Collection? chain)
    {
        nint ctx = context.DangerousGetHandle();
        nint x509 = ToX509(certificate);
        try
        {
            if (LibSsl.CtxUseCertificate(ctx, x509) != 1)
            {
                throw new ArgumentException($"OpenSSL refused the certificate {certificate.Subject}: {TlsErrors.Last()}", nameof(certificate));
            }
        }
        finally
        {
            LibCrypto.X509Free(x509);
        }

        nint key = PrivateKey(certificate);
        try
        {
            if (LibSsl.CtxUsePrivateKey(ctx, key) != 1 || LibSsl.CtxCheckPrivateKey(ctx) != 1)
            {
                throw new ArgumentException($"OpenSSL refused the private key of {certificate.Subject}: {TlsErrors.Last()}", nameof(certificate));
            }
        }
        finally
        {
            LibCrypto.EvpPkeyFree(key);
        }

        foreach (X509Certificate2 intermediate in IssuersOf(certificate, chain))
        {
            nint link = ToX509(intermediate);
            try
            {
                if (LibSsl.CtxCtrl(ctx, LibSsl.SSL_CTRL_CHAIN_CERT, 1, link) != 1) // add1: the context takes its own reference
                {
                    throw new ArgumentException($"OpenSSL refused the chain certificate {intermediate.Subject}: {TlsErrors.Last()}", nameof(chain));
                }
            }
            finally
            {
                LibCrypto.X509Free(link);
            }
        }
    }

    /// <summary>An X509_STORE holding exactly <paramref name="roots"/> (the caller hands it to a context, which owns it).</summary>
    public static nint CreateStore(X509Certificate2Collection roots)
    {
        nint store = LibCrypto.X509StoreNew();
        if (store == 0)
        {
            throw new InvalidOperationException($"OpenSSL could not create a certificate store: {TlsErrors.Last()}");
        }

        foreach (X509Certificate2 root in roots)
        {
            nint x509 = ToX509(root);
            int added = LibCrypto.X509StoreAddCert(store, x509);
            LibCrypto.X509Free(x509);
            if (added != 1)
            {
                LibCrypto.X509StoreFree(store);
                throw new ArgumentException($"OpenSSL refused the trusted certificate {root.Subject}: {TlsErrors.Last()}", nameof(roots));
            }
        }

        return store;
    }

    /// <summary>The DER of an OpenSSL X509 (the caller keeps its reference).</summary>
    public static byte[] Der(nint x509)
    {
        int length = LibCrypto.I2dX509(x509, null);
        if (length <= 0)
        {
            throw new InvalidOperationException($"OpenSSL could not encode a certificate: {TlsErrors.Last()}");
        }

        byte[] der = new byte[length];
        fixed (byte* start = der)
        {
            byte* cursor = start;
            _ = LibCrypto.I2dX509(x509, &cursor);
        }

        return der;
    }

    private static nint ToX509(X509Certificate2 certificate)
    {
        byte[] der = certificate.RawData;
        fixed (byte* start = der)
        {
            byte* cursor = start;
            nint x509 = LibCrypto.D2iX509(0, &cursor, der.Length);
            return x509 != 0 ? x509 : throw new ArgumentException($"OpenSSL could not read the certificate {certificate.Subject}: {TlsErrors.Last()}", nameof(certificate));
        }
    }

    private static nint PrivateKey(X509Certificate2 certificate)
    {
        if (!certificate.HasPrivateKey)
        {
            throw new ArgumentException($"The certificate {certificate.Subject} has no private key; a TLS endpoint needs one (load a PFX, or a PEM certificate with its key).", nameof(certificate));
        }

        AsymmetricAlgorithm key = (AsymmetricAlgorithm?)certificate.GetRSAPrivateKey() ?? (AsymmetricAlgorithm?)certificate.GetECDsaPrivateKey()
            ?? throw new ArgumentException($"The private key of {certificate.Subject} is neither RSA nor ECDSA; TLS here supports those two.", nameof(certificate));
        byte[] pkcs8;
        using (key)
        {
            try
            {
                pkcs8 = key.ExportPkcs8PrivateKey();
            }
            catch (CryptographicException ex)
            {
                throw new ArgumentException($"The private key of {certificate.Subject} cannot be exported to OpenSSL ({ex.Message}); load the certificate with X509KeyStorageFlags.Exportable.", nameof(certificate), ex);
            }
        }

        try
        {
            fixed (byte* start = pkcs8)
            {
                byte* cursor = start;
                nint pkey = LibCrypto.D2iAutoPrivateKey(0, &cursor, pkcs8.Length);
                return pkey != 0 ? pkey : throw new ArgumentException($"OpenSSL could not read the private key of {certificate.Subject}: {TlsErrors.Last()}", nameof(certificate));
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(pkcs8);
        }
    }

    /// <summary>The intermediates from <paramref name="chain"/> that lead up from <paramref name="certificate"/> (issuer by issuer, stopping before a self-signed root).</summary>
    private static List<X509Certificate2> IssuersOf(X509Certificate2 certificate, X509Certificate2Collection? chain)
    {
        var issuers = new List<X509Certificate2>();
        if (chain is null)
        {
            return issuers;
        }

        X509Certificate2 current = certificate;
        for (int depth = 0; depth < chain.Count; depth++)
        {
            if (current.SubjectName.RawData.AsSpan().SequenceEqual(current.IssuerName.RawData))
            {
                break; // self-signed: the top
            }

            X509Certificate2? issuer = null;
            foreach (X509Certificate2 candidate in chain)
            {
                if (candidate.SubjectName.RawData.AsSpan().SequenceEqual(current.IssuerName.RawData) && !candidate.RawData.AsSpan().SequenceEqual(current.RawData))
                {
                    issuer = candidate;
                    break;
                }
            }

            if (issuer is null || issuer.SubjectName.RawData.AsSpan().SequenceEqual(issuer.IssuerName.RawData))
            {
                break; // not found, or a root: roots are not sent
            }

            issuers.Add(issuer);
            current = issuer;
        }

        return issuers;
    }
}
