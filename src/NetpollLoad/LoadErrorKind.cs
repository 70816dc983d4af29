namespace Netpoll.Load;

/// <summary>Why a load connection failed to connect, broke while running, or a request failed. Each names the errno it stands for.</summary>
public enum LoadErrorKind
{
    /// <summary>ECONNREFUSED: nothing listens at the target.</summary>
    Refused,

    /// <summary>ECONNRESET or ECONNABORTED, or another socket error on an open connection (the engine reports those as one close reason).</summary>
    Reset,

    /// <summary>ETIMEDOUT, or the TCP connect took longer than the connect timeout: no answer from the address (firewalled, down, or its accept queue full).</summary>
    ConnectTimeout,

    /// <summary>A request's whole reply did not arrive within the response timeout; its connection is closed.</summary>
    ResponseTimeout,

    /// <summary>EHOSTUNREACH: no route to the host (or an ICMP host-unreachable came back).</summary>
    HostUnreachable,

    /// <summary>ENETUNREACH: no route to the target's network.</summary>
    NetworkUnreachable,

    /// <summary>EMFILE/ENFILE: this process (or the system) ran out of file descriptors.</summary>
    TooManyOpenFiles,

    /// <summary>EADDRNOTAVAIL: no free ephemeral port for the source address; add source addresses.</summary>
    AddressNotAvailable,

    /// <summary>EADDRINUSE: a source address and port are already taken.</summary>
    AddressInUse,

    /// <summary>EPIPE: the peer shut the connection down while requests were being written.</summary>
    BrokenPipe,

    /// <summary>ENOBUFS/ENOMEM: the kernel ran out of socket buffer memory.</summary>
    NoBufferSpace,

    /// <summary>EACCES/EPERM: a firewall rule or policy forbids the connection.</summary>
    AccessDenied,

    /// <summary>
    /// The server closed a connection before answering every request sent on it (or, for Idle, closed a held
    /// connection). A close it announced (<c>Connection: close</c>) or one with nothing in flight is no error.
    /// Either way (and after every other error on an open connection) a new connection opens in its place,
    /// counted in <see cref="LoadResult.ConnectionsReopened"/>; Idle connections are not replaced.
    /// </summary>
    ClosedEarly,

    /// <summary>
    /// The reply broke its protocol: not the echo of what was sent, not HTTP/1.x (a bad status line, header,
    /// length or chunk), or bytes with no request in flight. <see cref="LoadErrors.BadResponseDetails"/> says how.
    /// </summary>
    BadResponse,

    /// <summary>The TLS handshake failed: the server's certificate was rejected (untrusted, expired, another name), no common protocol, or the server broke it off (over TLS 1.3 a server that requires a client certificate does so right after the handshake). <see cref="LoadErrors.TlsDetails"/> says why.</summary>
    TlsHandshake,

    /// <summary>
    /// The TCP connect completed but the TLS handshake did not within its timeout: the server accepted and is slow to
    /// answer (overloaded, or not speaking TLS on that port), unlike a <see cref="ConnectTimeout"/>, where nothing answered.
    /// </summary>
    TlsHandshakeTimeout,

    /// <summary>A cause none of the above names; <see cref="LoadErrors.OtherDetails"/> keeps its message with the errno.</summary>
    Other,
}
