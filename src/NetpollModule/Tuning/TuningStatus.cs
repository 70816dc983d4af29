namespace Netpoll.PowerShell.Tuning;

/// <summary>The verdict of one check.</summary>
public enum TuningStatus
{
    Pass,
    /// <summary>Works, but will hurt at this count (slower ramp, queue drops, memory pressure) or needs a per-process fix.</summary>
    Warn,
    /// <summary>The test cannot reach the connection count until this changes.</summary>
    Fail,
    /// <summary>The value could not be read.</summary>
    Unknown,
}
