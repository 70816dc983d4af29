namespace Netpoll.Telemetry;

/// <summary>
/// The lowest severity of engine events to log (-LogLevel). Values match Microsoft.Extensions.Logging's
/// LogLevel, which this bridge cannot reference.
/// </summary>
public enum NetpollLogLevel
{
    /// <summary>Everything; the engine has no events below Debug, so this logs what Debug logs.</summary>
    Trace = 0,

    /// <summary>Per-connection events: backpressure on and off, idle/read/write timeouts.</summary>
    Debug = 1,

    /// <summary>Servers starting and stopping.</summary>
    Information = 2,

    /// <summary>Accept back-off when the process runs out of file descriptors.</summary>
    Warning = 3,

    /// <summary>Handler, accept and poller failures.</summary>
    Error = 4,

    /// <summary>No logging.</summary>
    None = 6,
}
