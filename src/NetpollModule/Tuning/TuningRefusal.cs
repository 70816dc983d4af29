namespace Netpoll.PowerShell.Tuning;

/// <summary>Why the system refused a change.</summary>
public enum TuningRefusal
{
    /// <summary>Not root (EACCES/EPERM on a kernel setting).</summary>
    NotRoot,
    /// <summary>Root, but missing a capability (CAP_SYS_RESOURCE for the hard open-file limit).</summary>
    MissingCapability,
    /// <summary>The setting is read-only here (EROFS: a container's /proc/sys, or a namespaced sysctl).</summary>
    ReadOnly,
    /// <summary>The setting does not exist on this kernel.</summary>
    NotSupported,
    Other,
}
