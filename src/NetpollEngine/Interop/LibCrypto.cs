using System.Runtime.InteropServices;

namespace Netpoll.Interop;

/// <summary>
/// The libcrypto (OpenSSL 3) calls the TLS layer makes: a custom BIO (how TLS records reach the connection's
/// buffers), the per-thread error queue, and DER conversion of certificates and keys.
/// </summary>
internal static unsafe partial class LibCrypto
{
    public const string Lib = "libcrypto.so.3";

    public const int BIO_TYPE_SOURCE_SINK = 0x0400;

    // BIO flags (BIO_set_retry_read and BIO_clear_retry_flags are macros over these)
    public const int BIO_FLAGS_READ = 0x01;
    public const int BIO_FLAGS_RWS = 0x07;
    public const int BIO_FLAGS_SHOULD_RETRY = 0x08;

    // The BIO_ctrl command the engine's BIO answers (every other one gets 0)
    public const int BIO_CTRL_FLUSH = 11;

    // Error codes: library in bits 23..30, reason in bits 0..22; the top bit marks a system error
    public const ulong ERR_SYSTEM_FLAG = 0x80000000UL;
    public const int ERR_LIB_OFFSET = 23;
    public const ulong ERR_LIB_MASK = 0xFF;
    public const ulong ERR_REASON_MASK = 0x7FFFFF;
    public const int ERR_LIB_SSL = 20;

    [LibraryImport(Lib, EntryPoint = "OpenSSL_version_num")]
    public static partial ulong OpenSslVersionNumber();

    [LibraryImport(Lib, EntryPoint = "BIO_get_new_index")]
    public static partial int BioGetNewIndex();

    [LibraryImport(Lib, EntryPoint = "BIO_meth_new", StringMarshalling = StringMarshalling.Utf8)]
    public static partial nint BioMethNew(int type, string name);

    [LibraryImport(Lib, EntryPoint = "BIO_meth_set_write")]
    public static partial int BioMethSetWrite(nint method, delegate* unmanaged<nint, byte*, int, int> write);

    [LibraryImport(Lib, EntryPoint = "BIO_meth_set_read")]
    public static partial int BioMethSetRead(nint method, delegate* unmanaged<nint, byte*, int, int> read);

    [LibraryImport(Lib, EntryPoint = "BIO_meth_set_ctrl")]
    public static partial int BioMethSetCtrl(nint method, delegate* unmanaged<nint, int, long, nint, long> ctrl);

    [LibraryImport(Lib, EntryPoint = "BIO_new")]
    public static partial nint BioNew(nint method);

    [LibraryImport(Lib, EntryPoint = "BIO_set_init")]
    public static partial void BioSetInit(nint bio, int init);

    [LibraryImport(Lib, EntryPoint = "BIO_set_flags")]
    public static partial void BioSetFlags(nint bio, int flags);

    [LibraryImport(Lib, EntryPoint = "BIO_clear_flags")]
    public static partial void BioClearFlags(nint bio, int flags);

    [LibraryImport(Lib, EntryPoint = "ERR_get_error")]
    public static partial ulong ErrGetError();

    [LibraryImport(Lib, EntryPoint = "ERR_clear_error")]
    public static partial void ErrClearError();

    [LibraryImport(Lib, EntryPoint = "ERR_error_string_n")]
    public static partial void ErrErrorStringN(ulong error, byte* buffer, nuint length);

    [LibraryImport(Lib, EntryPoint = "X509_verify_cert_error_string")]
    public static partial byte* X509VerifyCertErrorString(long error);

    [LibraryImport(Lib, EntryPoint = "d2i_X509")]
    public static partial nint D2iX509(nint reuse, byte** input, long length);

    [LibraryImport(Lib, EntryPoint = "i2d_X509")]
    public static partial int I2dX509(nint x509, byte** output);

    [LibraryImport(Lib, EntryPoint = "X509_free")]
    public static partial void X509Free(nint x509);

    [LibraryImport(Lib, EntryPoint = "d2i_AutoPrivateKey")]
    public static partial nint D2iAutoPrivateKey(nint reuse, byte** input, long length);

    [LibraryImport(Lib, EntryPoint = "EVP_PKEY_free")]
    public static partial void EvpPkeyFree(nint pkey);

    [LibraryImport(Lib, EntryPoint = "X509_STORE_new")]
    public static partial nint X509StoreNew();

    [LibraryImport(Lib, EntryPoint = "X509_STORE_free")]
    public static partial void X509StoreFree(nint store);

    /// <summary>Adds <paramref name="x509"/> to the store, taking its own reference.</summary>
    [LibraryImport(Lib, EntryPoint = "X509_STORE_add_cert")]
    public static partial int X509StoreAddCert(nint store, nint x509);

    [LibraryImport(Lib, EntryPoint = "X509_VERIFY_PARAM_set1_ip_asc", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int VerifyParamSetIp(nint param, string address);

    [LibraryImport(Lib, EntryPoint = "OPENSSL_sk_num")]
    public static partial int StackCount(nint stack);

    [LibraryImport(Lib, EntryPoint = "OPENSSL_sk_value")]
    public static partial nint StackValue(nint stack, int index);
}
