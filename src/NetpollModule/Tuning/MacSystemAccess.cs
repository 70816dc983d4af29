using System.Diagnostics;

namespace Netpoll.PowerShell.Tuning;

/// <summary>
/// macOS, from the platform documentation: sysctl(8) for kern.maxfiles, kern.maxfilesperproc,
/// kern.ipc.somaxconn, kern.ipc.maxsockets and net.inet.ip.portrange.*; launchctl(1) limit maxfiles
/// for the launchd default; RLIMIT_NOFILE through libc. Commands go through a runner so this class is
/// unit-tested on Linux with a fake.
/// </summary>
internal sealed class MacSystemAccess(Func<string, string[], (int ExitCode, string Output, string Error)>? run = null) : ISystemAccess
{
    public const string LaunchctlMaxFiles = "launchctl.maxfiles";

    private readonly Func<string, string[], (int ExitCode, string Output, string Error)> _run = run ?? RunProcess;

    public TuningPlatform Platform => TuningPlatform.MacOS;

    public bool IsRoot => Environment.UserName == "root";

    public bool CanRaiseHardLimit => IsRoot;

    public int ProcessId => Environment.ProcessId;

    public long? SystemFilesInUse => long.TryParse(ReadSysctl("kern.num_files"), out long n) ? n : null;

    public string SysctlSource(string name) => name == LaunchctlMaxFiles ? "launchctl limit maxfiles" : $"sysctl {name}";

    public string? ReadSysctl(string name)
    {
        if (name == LaunchctlMaxFiles)
        {
            // "	maxfiles    256            unlimited"
            (int code, string output, _) = _run("launchctl", ["limit", "maxfiles"]);
            string[] parts = output.Split((char[])[' ', '\t', '\n'], StringSplitOptions.RemoveEmptyEntries);
            return code == 0 && parts.Length >= 3 ? $"{parts[1]} {parts[2]}" : null;
        }

        (int exit, string text, _) = _run("sysctl", ["-n", name]);
        return exit == 0 ? text.Trim() : null;
    }

    public void WriteSysctl(string name, string value)
    {
        (int code, string _, string error) = name == LaunchctlMaxFiles
            ? _run("launchctl", ["limit", "maxfiles", .. value.Split(' ', StringSplitOptions.RemoveEmptyEntries)])
            : _run("sysctl", ["-w", $"{name}={value}"]);
        if (code != 0)
        {
            TuningRefusal reason = error.Contains("Operation not permitted", StringComparison.OrdinalIgnoreCase) || !IsRoot
                ? TuningRefusal.NotRoot
                : error.Contains("unknown oid", StringComparison.OrdinalIgnoreCase) ? TuningRefusal.NotSupported : TuningRefusal.Other;
            throw new TuningAccessException(reason, $"Setting {name} to {value} failed: {error.Trim()}");
        }
    }

    public (long Soft, long Hard) GetOpenFileLimit() => OpenFileLimit.Get();

    public void SetOpenFileLimit(long soft, long hard) => OpenFileLimit.Set(soft, hard, CanRaiseHardLimit);

    public string? ReadFile(string path) => File.Exists(path) ? File.ReadAllText(path) : null;

    public void WriteFile(string path, string content)
    {
        try
        {
            File.WriteAllText(path, content);
        }
        catch (UnauthorizedAccessException)
        {
            throw new TuningAccessException(TuningRefusal.NotRoot, $"Writing {path} needs root.");
        }
    }

    public void DeleteFile(string path) => File.Delete(path);

    private static (int, string, string) RunProcess(string file, string[] arguments)
    {
        var start = new ProcessStartInfo(file, arguments) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        using Process process = Process.Start(start) ?? throw new TuningAccessException(TuningRefusal.NotSupported, $"{file} could not be started.");
        string output = process.StandardOutput.ReadToEnd();
        string error = process.StandardError.ReadToEnd();
        if (!process.WaitForExit(10_000))
        {
            process.Kill();
            return (-1, output, $"{file} did not finish in 10 s");
        }

        return (process.ExitCode, output, error);
    }
}
