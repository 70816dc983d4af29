using System.Runtime.InteropServices;

namespace Netpoll.Interop;

/// <summary>
/// The libssl (OpenSSL 3) calls the TLS layer makes. OpenSSL's macros (SSL_CTX_set_mode, set_min_proto_version,
/// set_tlsext_host_name, ...) are SSL_CTX_ctrl / SSL_ctrl with the command numbers below. Pointers to SSL_CTX,
/// SSL, SSL_SESSION, X509 and EVP_PKEY stay <see cref="nint"/>: the TLS layer owns their lifetimes.
/// </summary>
/// <remarks>
/// The library is the one the platform ships (libssl.so.3 on Linux), the same one .NET's own
/// System.Security.Cryptography uses, so a process has one OpenSSL. Every call here is made by one thread
/// at a time per SSL object (the TLS layer holds the connection's lock).
/// </remarks>
internal static unsafe partial class LibSsl
{
    public const string Lib = "libssl.so.3";

    // SSL_get_error results
    public const int SSL_ERROR_WANT_READ = 2;
    public const int SSL_ERROR_SYSCALL = 5;
    public const int SSL_ERROR_ZERO_RETURN = 6;
    public const int SSL_SENT_SHUTDOWN = 1;
    public const int SSL_RECEIVED_SHUTDOWN = 2;

    // SSL_CTX_ctrl / SSL_ctrl commands
    public const int SSL_CTRL_MODE = 33;
    public const int SSL_CTRL_SET_READ_AHEAD = 41;
    public const int SSL_CTRL_SET_SESS_CACHE_MODE = 44;
    public const int SSL_CTRL_SET_TLSEXT_SERVERNAME_CB = 53;
    public const int SSL_CTRL_SET_TLSEXT_HOSTNAME = 55;
    public const int SSL_CTRL_CHAIN_CERT = 89;
    public const int SSL_CTRL_SET_MIN_PROTO_VERSION = 123;
    public const int SSL_CTRL_SET_MAX_PROTO_VERSION = 124;

    // SSL_CTRL_MODE bits
    public const long SSL_MODE_RELEASE_BUFFERS = 0x10;

    // SSL_CTX_set_options bits
    public const ulong SSL_OP_NO_TICKET = 1UL << 14;
    public const ulong SSL_OP_NO_COMPRESSION = 1UL << 17;
    public const ulong SSL_OP_NO_RENEGOTIATION = 1UL << 30;

    // Session cache modes
    public const long SSL_SESS_CACHE_OFF = 0x0000;
    public const long SSL_SESS_CACHE_CLIENT = 0x0001;
    public const long SSL_SESS_CACHE_NO_INTERNAL_STORE = 0x0200;

    // Verify modes
    public const int SSL_VERIFY_NONE = 0x00;
    public const int SSL_VERIFY_PEER = 0x01;
    public const int SSL_VERIFY_FAIL_IF_NO_PEER_CERT = 0x02;

    // Extension callback results and alerts
    public const int SSL_TLSEXT_ERR_OK = 0;
    public const int SSL_TLSEXT_ERR_ALERT_FATAL = 2;
    public const int SSL_TLSEXT_ERR_NOACK = 3;
    public const int SSL_AD_UNRECOGNIZED_NAME = 112;
    public const int TLSEXT_NAMETYPE_host_name = 0;

    // Protocol versions
    public const int TLS1_2_VERSION = 0x0303;
    public const int TLS1_3_VERSION = 0x0304;

    // Reason codes (ERR_GET_REASON) the TLS layer tells apart
    public const int SSL_R_CERTIFICATE_VERIFY_FAILED = 134;
    public const int SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE = 199;
    public const int SSL_R_ALERT_BASE = 1000; // a received alert N is reported as reason 1000 + N
    public const int SSL_AD_BAD_CERTIFICATE = 42;
    public const int SSL_AD_UNKNOWN_CA = 48;
    public const int SSL_AD_CERTIFICATE_REQUIRED = 116;

    [LibraryImport(Lib, EntryPoint = "TLS_server_method")]
    public static partial nint TlsServerMethod();

    [LibraryImport(Lib, EntryPoint = "TLS_client_method")]
    public static partial nint TlsClientMethod();

    [LibraryImport(Lib, EntryPoint = "SSL_CTX_new")]
    public static partial nint CtxNew(nint method);

    [LibraryImport(Lib, EntryPoint = "SSL_CTX_free")]
    public static partial void CtxFree(nint ctx);

    [LibraryImport(Lib, EntryPoint = "SSL_CTX_ctrl")]
    public static partial long CtxCtrl(nint ctx, int command, long larg, nint parg);

    [LibraryImport(Lib, EntryPoint = "SSL_CTX_callback_ctrl")]
    public static partial long CtxCallbackCtrl(nint ctx, int command, nint callback);

    [LibraryImport(Lib, EntryPoint = "SSL_CTX_set_options")]
    public static partial ulong CtxSetOptions(nint ctx, ulong options);

    [LibraryImport(Lib, EntryPoint = "SSL_CTX_use_certificate")]
    public static partial int CtxUseCertificate(nint ctx, nint x509);

    [LibraryImport(Lib, EntryPoint = "SSL_CTX_use_PrivateKey")]
    public static partial int CtxUsePrivateKey(nint ctx, nint pkey);

    [LibraryImport(Lib, EntryPoint = "SSL_CTX_check_private_key")]
    public static partial int CtxCheckPrivateKey(nint ctx);

    [LibraryImport(Lib, EntryPoint = "SSL_CTX_set_session_id_context")]
    public static partial int CtxSetSessionIdContext(nint ctx, byte* id, uint length);

    [LibraryImport(Lib, EntryPoint = "SSL_CTX_set_num_tickets")]
    public static partial int CtxSetNumTickets(nint ctx, nuint count);

    [LibraryImport(Lib, EntryPoint = "SSL_CTX_set_verify")]
    public static partial void CtxSetVerify(nint ctx, int mode, delegate* unmanaged<int, nint, int> callback);

    /// <summary>Replaces OpenSSL's whole chain verification with <paramref name="callback"/> (1: accept).</summary>
    [LibraryImport(Lib, EntryPoint = "SSL_CTX_set_cert_verify_callback")]
    public static partial void CtxSetCertVerifyCallback(nint ctx, delegate* unmanaged<nint, nint, int> callback, nint arg);

    [LibraryImport(Lib, EntryPoint = "SSL_CTX_set_default_verify_paths")]
    public static partial int CtxSetDefaultVerifyPaths(nint ctx);

    [LibraryImport(Lib, EntryPoint = "SSL_CTX_set_cert_store")]
    public static partial void CtxSetCertStore(nint ctx, nint store);

    [LibraryImport(Lib, EntryPoint = "SSL_CTX_set_alpn_select_cb")]
    public static partial void CtxSetAlpnSelectCallback(nint ctx, delegate* unmanaged<nint, byte**, byte*, byte*, uint, nint, int> callback, nint arg);

    /// <summary>Returns 0 on success (unlike most of OpenSSL).</summary>
    [LibraryImport(Lib, EntryPoint = "SSL_CTX_set_alpn_protos")]
    public static partial int CtxSetAlpnProtos(nint ctx, byte* protocols, uint length);

    [LibraryImport(Lib, EntryPoint = "SSL_CTX_sess_set_new_cb")]
    public static partial void CtxSetNewSessionCallback(nint ctx, delegate* unmanaged<nint, nint, int> callback);

    [LibraryImport(Lib, EntryPoint = "SSL_new")]
    public static partial nint New(nint ctx);

    [LibraryImport(Lib, EntryPoint = "SSL_free")]
    public static partial void Free(nint ssl);

    [LibraryImport(Lib, EntryPoint = "SSL_ctrl")]
    public static partial long Ctrl(nint ssl, int command, long larg, nint parg);

    [LibraryImport(Lib, EntryPoint = "SSL_set_bio")]
    public static partial void SetBio(nint ssl, nint readBio, nint writeBio);

    [LibraryImport(Lib, EntryPoint = "SSL_set_accept_state")]
    public static partial void SetAcceptState(nint ssl);

    [LibraryImport(Lib, EntryPoint = "SSL_set_connect_state")]
    public static partial void SetConnectState(nint ssl);

    [LibraryImport(Lib, EntryPoint = "SSL_do_handshake")]
    public static partial int DoHandshake(nint ssl);

    [LibraryImport(Lib, EntryPoint = "SSL_read_ex")]
    public static partial int ReadEx(nint ssl, byte* buffer, nuint count, nuint* read);

    [LibraryImport(Lib, EntryPoint = "SSL_write_ex")]
    public static partial int WriteEx(nint ssl, byte* buffer, nuint count, nuint* written);

    [LibraryImport(Lib, EntryPoint = "SSL_has_pending")]
    public static partial int HasPending(nint ssl);

    [LibraryImport(Lib, EntryPoint = "SSL_get_error")]
    public static partial int GetError(nint ssl, int result);

    [LibraryImport(Lib, EntryPoint = "SSL_shutdown")]
    public static partial int Shutdown(nint ssl);

    [LibraryImport(Lib, EntryPoint = "SSL_set_shutdown")]
    public static partial void SetShutdown(nint ssl, int mode);

    [LibraryImport(Lib, EntryPoint = "SSL_session_reused")]
    public static partial int SessionReused(nint ssl);

    [LibraryImport(Lib, EntryPoint = "SSL_version")]
    public static partial int Version(nint ssl);

    [LibraryImport(Lib, EntryPoint = "SSL_get_current_cipher")]
    public static partial nint GetCurrentCipher(nint ssl);

    /// <summary>The IANA name of a cipher suite: a static string owned by OpenSSL.</summary>
    [LibraryImport(Lib, EntryPoint = "SSL_CIPHER_standard_name")]
    public static partial byte* CipherStandardName(nint cipher);

    [LibraryImport(Lib, EntryPoint = "SSL_get0_alpn_selected")]
    public static partial void GetSelectedAlpn(nint ssl, byte** data, uint* length);

    [LibraryImport(Lib, EntryPoint = "SSL_get_servername")]
    public static partial byte* GetServerName(nint ssl, int type);

    [LibraryImport(Lib, EntryPoint = "SSL_set_SSL_CTX")]
    public static partial nint SetSslCtx(nint ssl, nint ctx);

    [LibraryImport(Lib, EntryPoint = "SSL_set1_host", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int SetHost(nint ssl, string hostName);

    [LibraryImport(Lib, EntryPoint = "SSL_get0_param")]
    public static partial nint GetParam(nint ssl);

    [LibraryImport(Lib, EntryPoint = "SSL_get_verify_result")]
    public static partial long GetVerifyResult(nint ssl);

    [LibraryImport(Lib, EntryPoint = "SSL_get1_peer_certificate")]
    public static partial nint GetPeerCertificate(nint ssl);

    /// <summary>The peer's chain as sent (a client's excludes its leaf); owned by the SSL.</summary>
    [LibraryImport(Lib, EntryPoint = "SSL_get_peer_cert_chain")]
    public static partial nint GetPeerCertChain(nint ssl);

    [LibraryImport(Lib, EntryPoint = "SSL_set_session")]
    public static partial int SetSession(nint ssl, nint session);

    [LibraryImport(Lib, EntryPoint = "SSL_SESSION_free")]
    public static partial void SessionFree(nint session);

    [LibraryImport(Lib, EntryPoint = "SSL_SESSION_is_resumable")]
    public static partial int SessionIsResumable(nint session);
}
