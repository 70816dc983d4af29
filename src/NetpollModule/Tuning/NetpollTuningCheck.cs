namespace Netpoll.PowerShell.Tuning;

/// <summary>One setting checked against a planned connection count (Test-NetpollTuning).</summary>
public sealed class NetpollTuningCheck
{
    public required string Setting { get; init; }
    public required string? Current { get; init; }
    public required string Required { get; init; }
    public required TuningStatus Status { get; init; }
    /// <summary>Why it passes or what goes wrong at this count.</summary>
    public required string Why { get; init; }
    /// <summary>The exact command that fixes it (empty when nothing needs fixing).</summary>
    public required string Fix { get; init; }

    /// <summary>The value Set-NetpollTuning with the same -Connections and -Role writes (null when it passes or is not a setting Set changes).</summary>
    public string? Target { get; init; }
}
