namespace Netpoll.PowerShell.Tuning;

/// <summary>One setting Set- or Restore-NetpollTuning changed, left alone, or could not change.</summary>
public sealed class NetpollTuningChange
{
    public required string Setting { get; init; }
    public required string? Before { get; init; }
    public required string? After { get; init; }
    public required TuningChangeStatus Status { get; init; }
    /// <summary>Why it was skipped or failed (not root, no capability, read-only, would lower without -Force).</summary>
    public required string Reason { get; init; }
    /// <summary>The snapshot that can undo this change.</summary>
    public required string? Snapshot { get; init; }
}
