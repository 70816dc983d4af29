namespace Netpoll.PowerShell.Tuning;

/// <summary>One setting's current value (Get-NetpollTuning).</summary>
public sealed class NetpollTuningValue
{
    public required string Setting { get; init; }

    /// <summary>The value as the system shows it; null when it does not exist here.</summary>
    public required string? Value { get; init; }

    /// <summary>Where it was read from.</summary>
    public required string Source { get; init; }

    public required string Description { get; init; }

    public required TuningPlatform Platform { get; init; }
}
