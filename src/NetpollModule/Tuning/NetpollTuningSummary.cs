namespace Netpoll.PowerShell.Tuning;

/// <summary>The verdict of Test-NetpollTuning: can this machine hold the planned connections, and what limits it.</summary>
public sealed class NetpollTuningSummary
{
    public required int Connections { get; init; }
    public required TuningRole Role { get; init; }
    public required int SourceAddressCount { get; init; }
    /// <summary>Worst status of all checks.</summary>
    public required TuningStatus Status { get; init; }
    /// <summary>The most connections the current settings allow for this role.</summary>
    public required long MaxConnections { get; init; }
    /// <summary>The setting that sets <see cref="MaxConnections"/>.</summary>
    public required string BindingConstraint { get; init; }
    public required string Why { get; init; }
    public required int Failed { get; init; }
    public required int Warnings { get; init; }

    /// <summary>The most connections this process can reach once Set-NetpollTuning has changed what it can (what needs a capability or root it lacks stays).</summary>
    public required long ReachableConnections { get; init; }

    /// <summary>Why <see cref="Connections"/> cannot be reached here even after tuning; empty when it can.</summary>
    public required string OutOfReach { get; init; }
}
