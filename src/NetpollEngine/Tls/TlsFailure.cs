using Netpoll.Diagnostics;

namespace Netpoll.Tls;

/// <summary>Why a TLS handshake failed; each has its own <see cref="PollerCounter"/> (error.type on the meter).</summary>
internal enum TlsFailure
{
    /// <summary>It did not fail (or the connection was closed by this side, which is not counted).</summary>
    None,

    /// <summary>Bytes that are not TLS, no common version or cipher, a malformed message, an alert not about certificates.</summary>
    Protocol,

    /// <summary>A certificate was rejected (by this side or by the peer), or a required one was not sent.</summary>
    Certificate,

    /// <summary>The client asked for a host name (SNI) the server has no certificate for.</summary>
    UnknownHostName,

    /// <summary>The peer closed or reset the connection before the handshake completed.</summary>
    PeerClosed,

    /// <summary>The handshake deadline passed.</summary>
    Timeout,
}

internal static class TlsFailures
{
    public static PollerCounter Counter(this TlsFailure failure) => failure switch
    {
        TlsFailure.Protocol => PollerCounter.TlsFailedProtocol,
        TlsFailure.Certificate => PollerCounter.TlsFailedCertificate,
        TlsFailure.UnknownHostName => PollerCounter.TlsFailedUnknownHostName,
        TlsFailure.PeerClosed => PollerCounter.TlsFailedPeerClosed,
        TlsFailure.Timeout => PollerCounter.TlsFailedTimeout,
        _ => throw new ArgumentOutOfRangeException(nameof(failure), failure, "Only a failure has a counter."),
    };

    /// <summary>The error.type value the meter reports (also used in engine events).</summary>
    public static string Name(this TlsFailure failure) => failure switch
    {
        TlsFailure.Protocol => "protocol",
        TlsFailure.Certificate => "certificate",
        TlsFailure.UnknownHostName => "unknown_host_name",
        TlsFailure.PeerClosed => "peer_closed",
        TlsFailure.Timeout => "timeout",
        _ => "none",
    };
}
