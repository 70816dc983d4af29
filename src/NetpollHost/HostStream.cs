namespace Netpoll.Host;

/// <summary>Which process stream a piece of host text goes to.</summary>
internal enum HostStream
{
    /// <summary>stdout: pipeline output and Write-Host / information messages.</summary>
    Output,

    /// <summary>stderr: errors, warnings, verbose and debug messages, progress.</summary>
    Error,
}
