namespace Netpoll.Load;

/// <summary>Why a load connection failed to connect, broke while running, or a request failed. Each names the errno it stands for.</summary>
public enum LoadErrorKind
{
    /// <summary>ECONNREFUSED: nothing listens at the target.</summary>
    Refused,

    /// <summary>ECONNRESET or ECONNABORTED, or another socket error on an open connection (the engine reports those as one close reason).</summary>
    Reset,

    /// <summary>ETIMEDOUT, or the connect took longer than the connect timeout.</summary>
    ConnectTimeout,

    /// <summary>A request got no reply within the response timeout; its connection is closed.</summary>
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

    /// <summary>The server closed a connection while the test was running.</summary>
    ClosedByServer,

    /// <summary>The server answered something that is not what was sent (echo) or not HTTP.</summary>
    BadResponse,

    /// <summary>A cause none of the above names; <see cref="LoadErrors.OtherDetails"/> keeps its message with the errno.</summary>
    Other,
}
