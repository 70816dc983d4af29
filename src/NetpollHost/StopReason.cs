namespace Netpoll.Host;

/// <summary>Why the running pipeline was asked to stop.</summary>
internal enum StopReason
{
    None,

    /// <summary>Ctrl+C (SIGINT).</summary>
    Interrupted,

    /// <summary>SIGTERM, e.g. from a service manager or CI runner.</summary>
    Terminated,
}
