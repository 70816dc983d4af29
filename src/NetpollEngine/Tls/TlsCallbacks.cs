using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Netpoll.Interop;

namespace Netpoll.Tls;

/// <summary>
/// Every function OpenSSL calls back into the engine: the BIO that moves TLS records between OpenSSL and
/// the connection's raw buffers, and the handshake's server-name, ALPN, certificate and new-session hooks.
/// </summary>
/// <remarks>
/// OpenSSL calls them only from inside an SSL call the engine made, on the same thread, so each finds its
/// connection through <see cref="TlsTransform.Active"/> (set around every call) instead of a GC handle per
/// connection. An exception must not cross back into native code: each callback catches and fails the call.
/// </remarks>
internal static unsafe class TlsCallbacks
{
    private static readonly Lazy<nint> s_bioMethod = new(CreateBioMethod);

    /// <summary>The BIO method (created once per process, never freed: OpenSSL keeps pointers to it).</summary>
    public static nint BioMethod => s_bioMethod.Value;

    public static delegate* unmanaged[Cdecl]<nint, int*, nint, int> ServerName => &OnServerName;

    public static delegate* unmanaged<nint, byte**, byte*, byte*, uint, nint, int> SelectAlpn => &OnSelectAlpn;

    public static delegate* unmanaged<nint, nint, int> SkipVerification => &OnSkipVerification;

    public static delegate* unmanaged<nint, nint, int> NewSession => &OnNewSession;

    private static nint CreateBioMethod()
    {
        nint method = LibCrypto.BioMethNew(LibCrypto.BioGetNewIndex() | LibCrypto.BIO_TYPE_SOURCE_SINK, "netpoll connection");
        if (method == 0 ||
            LibCrypto.BioMethSetWrite(method, &OnBioWrite) != 1 ||
            LibCrypto.BioMethSetRead(method, &OnBioRead) != 1 ||
            LibCrypto.BioMethSetCtrl(method, &OnBioCtrl) != 1)
        {
            throw new InvalidOperationException($"OpenSSL could not create the engine's BIO method: {TlsErrors.Last()}");
        }

        return method;
    }

    /// <summary>OpenSSL writes TLS records: they go to the connection's raw output.</summary>
    [UnmanagedCallersOnly]
    private static int OnBioWrite(nint bio, byte* data, int length)
    {
        try
        {
            return TlsTransform.Active?.BioWrite(new ReadOnlySpan<byte>(data, length)) ?? -1;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return -1;
        }
    }

    /// <summary>OpenSSL reads TLS records: from the connection's raw input, or "retry" when it is empty.</summary>
    [UnmanagedCallersOnly]
    private static int OnBioRead(nint bio, byte* data, int length)
    {
        try
        {
            return TlsTransform.Active?.BioRead(bio, new Span<byte>(data, length)) ?? -1;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return -1;
        }
    }

    /// <summary>Flush succeeds (records are in the raw output already); nothing else is supported.</summary>
    [UnmanagedCallersOnly]
    private static long OnBioCtrl(nint bio, int command, long number, nint pointer) => command == LibCrypto.BIO_CTRL_FLUSH ? 1 : 0;

    /// <summary>SNI: picks the certificate for the host name the client asked for, or refuses an unknown one.</summary>
    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static int OnServerName(nint ssl, int* alert, nint argument)
    {
        try
        {
            if (TlsTransform.Active?.SelectServerName(ssl) == true)
            {
                return LibSsl.SSL_TLSEXT_ERR_OK;
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            TlsTransform.Active?.RecordFailure(TlsFailure.Protocol, $"choosing a certificate failed: {ex.Message}");
        }

        *alert = LibSsl.SSL_AD_UNRECOGNIZED_NAME;
        return LibSsl.SSL_TLSEXT_ERR_ALERT_FATAL;
    }

    /// <summary>
    /// ALPN: the first of the server's protocols that the client offers. None in common refuses the handshake with
    /// OpenSSL's fatal no_application_protocol alert (RFC 7301 §3.2 "SHALL"; nginx ≥ 1.21.4 and Go ≥ 1.17 do the same):
    /// going on without ALPN would leave an h2-only client to find out from the first bytes it cannot parse.
    /// </summary>
    [UnmanagedCallersOnly]
    private static int OnSelectAlpn(nint ssl, byte** selected, byte* selectedLength, byte* offered, uint offeredLength, nint argument)
    {
        try
        {
            ReadOnlySpan<byte> offers = new(offered, (int)offeredLength);
            int at = TlsTransform.Active?.SelectApplicationProtocol(offers) ?? -1;
            if (at >= 0)
            {
                *selected = offered + at + 1;
                *selectedLength = offered[at];
                return LibSsl.SSL_TLSEXT_ERR_OK;
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            TlsTransform.Active?.RecordFailure(TlsFailure.Protocol, $"choosing an ALPN protocol failed: {ex.Message}");
        }

        return LibSsl.SSL_TLSEXT_ERR_ALERT_FATAL;
    }

    /// <summary>
    /// Stands in for OpenSSL's chain verification when it would be wasted: the user skips it, or a user callback
    /// decides after the handshake, off the poller (with .NET's chain check). No chain is built here.
    /// </summary>
    [UnmanagedCallersOnly]
    private static int OnSkipVerification(nint storeContext, nint argument) => 1;

    /// <summary>A client received a session (TLS 1.3 tickets arrive after the handshake): keep it for resumption. 1: the cache took the reference.</summary>
    [UnmanagedCallersOnly]
    private static int OnNewSession(nint ssl, nint session)
    {
        try
        {
            return TlsTransform.Active?.KeepSession(session) == true ? 1 : 0;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return 0;
        }
    }
}
