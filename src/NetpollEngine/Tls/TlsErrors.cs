using System.Runtime.InteropServices;
using Netpoll.Interop;

namespace Netpoll.Tls;

/// <summary>
/// Reads OpenSSL's per-thread error queue after a failed call and turns it into a reason and a message a
/// user can act on ("the server's certificate was rejected: certificate has expired"). The queue is
/// emptied every time, so the next call on this thread starts clean.
/// </summary>
internal static unsafe class TlsErrors
{
    /// <summary>
    /// Why the last SSL call on this thread failed. <paramref name="peer"/> names the other side in the message ("the
    /// server", "the client"); <paramref name="established"/>: the handshake had completed (a record or alert after it failed).
    /// </summary>
    public static (TlsFailure Failure, string Message) Describe(nint ssl, int sslError, string peer, bool established = false)
    {
        ulong first = 0;
        ulong code;
        while ((code = LibCrypto.ErrGetError()) != 0)
        {
            first = first == 0 ? code : first;
        }

        if (first == 0)
        {
            // SSL_ERROR_SYSCALL with an empty queue: our BIO never fails, so the stream ended under OpenSSL.
            return (TlsFailure.Protocol, sslError == LibSsl.SSL_ERROR_SYSCALL
                ? $"{peer} ended the TLS stream unexpectedly"
                : $"TLS failed with SSL error {sslError}");
        }

        int reason = (int)(first & LibCrypto.ERR_REASON_MASK);
        bool fromSsl = (first & LibCrypto.ERR_SYSTEM_FLAG) == 0 && (int)((first >> LibCrypto.ERR_LIB_OFFSET) & LibCrypto.ERR_LIB_MASK) == LibCrypto.ERR_LIB_SSL;
        string text = ReasonText(first);
        if (fromSsl && reason == LibSsl.SSL_R_CERTIFICATE_VERIFY_FAILED)
        {
            long verify = LibSsl.GetVerifyResult(ssl);
            return (TlsFailure.Certificate, $"{peer}'s certificate was rejected: {VerifyErrorText(verify)}");
        }

        if (fromSsl && reason == LibSsl.SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE)
        {
            return (TlsFailure.Certificate, $"{peer} sent no certificate, and one is required");
        }

        if (fromSsl && reason > LibSsl.SSL_R_ALERT_BASE && reason < LibSsl.SSL_R_ALERT_BASE + 256)
        {
            int alert = reason - LibSsl.SSL_R_ALERT_BASE;
            TlsFailure failure = alert switch
            {
                LibSsl.SSL_AD_UNRECOGNIZED_NAME => TlsFailure.UnknownHostName,
                >= LibSsl.SSL_AD_BAD_CERTIFICATE and <= LibSsl.SSL_AD_UNKNOWN_CA or LibSsl.SSL_AD_CERTIFICATE_REQUIRED => TlsFailure.Certificate,
                _ => TlsFailure.Protocol,
            };
            return (failure, established
                ? $"{peer} ended the session with TLS alert {alert}: {text}"
                : $"{peer} refused the handshake (TLS alert {alert}: {text})");
        }

        return (TlsFailure.Protocol, $"{peer} did not speak TLS as expected: {text}");
    }

    /// <summary>Drops whatever earlier calls on this thread left in the queue (SSL_get_error reads it).</summary>
    public static void Clear() => LibCrypto.ErrClearError();

    /// <summary>OpenSSL's text for an X509 verification result (SSL_get_verify_result), e.g. "certificate has expired".</summary>
    public static string VerifyErrorText(long verifyResult) =>
        Marshal.PtrToStringUTF8((nint)LibCrypto.X509VerifyCertErrorString(verifyResult)) ?? $"verification error {verifyResult}";

    /// <summary>The last error on this thread's queue as text (for setup calls), emptying the queue.</summary>
    public static string Last()
    {
        ulong last = 0;
        ulong code;
        while ((code = LibCrypto.ErrGetError()) != 0)
        {
            last = code;
        }

        return last == 0 ? "no OpenSSL error was recorded" : ReasonText(last);
    }

    private static string ReasonText(ulong code)
    {
        byte* buffer = stackalloc byte[256];
        LibCrypto.ErrErrorStringN(code, buffer, 256);
        string full = Marshal.PtrToStringUTF8((nint)buffer) ?? $"error 0x{code:X}";
        // "error:0A00010B:SSL routines::wrong version number": the part after the last colon is the reason.
        int colon = full.LastIndexOf(':');
        return colon >= 0 && colon < full.Length - 1 ? full[(colon + 1)..] : full;
    }
}
