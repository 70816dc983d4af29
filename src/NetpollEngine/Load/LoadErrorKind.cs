namespace Netpoll.Load;

/// <summary>Why a load connection failed to connect or broke while running.</summary>
public enum LoadErrorKind
{
    Refused,
    Reset,
    Timeout,
    /// <summary>EMFILE/ENFILE: this process (or the system) ran out of file descriptors.</summary>
    TooManyOpenFiles,
    /// <summary>EADDRNOTAVAIL: no free ephemeral port for the source address; add source addresses.</summary>
    AddressNotAvailable,
    /// <summary>The server closed a connection while the test was running.</summary>
    ClosedByServer,
    /// <summary>The server answered something that is not what was sent (echo) or not HTTP.</summary>
    BadResponse,
    Other,
}
