namespace Netpoll.PowerShell.Tuning;

/// <summary>How far Set-NetpollTuning reaches.</summary>
public enum TuningScope
{
    /// <summary>Only this process's open-file limit (setrlimit); no root needed up to the hard limit.</summary>
    Process,
    /// <summary>Process, plus kernel settings now (sysctl -w); gone at reboot.</summary>
    Runtime,
    /// <summary>Runtime, plus drop-in files that apply at boot and login (/etc/sysctl.d, /etc/security/limits.d).</summary>
    Persistent,
}
