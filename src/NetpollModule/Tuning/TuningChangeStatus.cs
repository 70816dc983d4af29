namespace Netpoll.PowerShell.Tuning;

public enum TuningChangeStatus
{
    Changed,
    Unchanged,
    Skipped,
    Failed,
    Restored,
    /// <summary>A drop-in file written (Persistent scope) or removed (restore).</summary>
    FileWritten,
    FileRemoved,
}
