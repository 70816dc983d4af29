namespace Netpoll.PowerShell.Tuning;

/// <summary>
/// Everything tuning reads or changes on the machine, behind one interface so the logic is tested on a
/// fake system (and macOS code on Linux). Failures throw <see cref="TuningAccessException"/> with a reason.
/// </summary>
public interface ISystemAccess
{
    TuningPlatform Platform { get; }

    /// <summary>Effective uid is 0.</summary>
    bool IsRoot { get; }

    /// <summary>The process may raise its hard RLIMIT_NOFILE (Linux CAP_SYS_RESOURCE; root on macOS).</summary>
    bool CanRaiseHardLimit { get; }

    /// <summary>A kernel setting's value as text (e.g. "32768 60999"), or null when it does not exist here.</summary>
    string? ReadSysctl(string name);

    /// <summary>Where a sysctl is read from, for people ("/proc/sys/net/core/somaxconn", "sysctl kern.maxfiles").</summary>
    string SysctlSource(string name);

    void WriteSysctl(string name, string value);

    (long Soft, long Hard) GetOpenFileLimit();

    void SetOpenFileLimit(long soft, long hard);

    int ProcessId { get; }

    string? ReadFile(string path);

    void WriteFile(string path, string content);

    void DeleteFile(string path);

    /// <summary>Open file handles in use system-wide, when known (Linux fs.file-nr).</summary>
    long? SystemFilesInUse { get; }
}
