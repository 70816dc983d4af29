namespace Netpoll.PowerShell.Tuning;

/// <summary>Which side of a connection test this process plays.</summary>
public enum TuningRole
{
    /// <summary>Accepts connections: one fd each.</summary>
    Server,
    /// <summary>Opens connections: one fd and one ephemeral port each.</summary>
    Client,
    /// <summary>Server and load generator in one process: two fds and one port per connection.</summary>
    InProcess,
}
