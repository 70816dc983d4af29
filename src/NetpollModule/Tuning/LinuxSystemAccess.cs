using System.Globalization;

namespace Netpoll.PowerShell.Tuning;

/// <summary>Linux: sysctls under /proc/sys, RLIMIT_NOFILE through libc, capabilities from /proc/self/status.</summary>
internal sealed class LinuxSystemAccess : ISystemAccess
{
    private const int CapSysResource = 24;

    public TuningPlatform Platform => TuningPlatform.Linux;

    public bool IsRoot => Environment.UserName == "root" || GetEffectiveUid() == 0;

    public bool CanRaiseHardLimit => HasEffectiveCapability(CapSysResource);

    public int ProcessId => Environment.ProcessId;

    public long? SystemFilesInUse
    {
        get
        {
            string? text = ReadSysctl("fs.file-nr");
            return text is not null && long.TryParse(text.Split((char[])[' ', '\t'], StringSplitOptions.RemoveEmptyEntries)[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out long used) ? used : null;
        }
    }

    public string SysctlSource(string name) => PathOf(name);

    public string? ReadSysctl(string name)
    {
        try
        {
            return File.ReadAllText(PathOf(name)).Trim().Replace('\t', ' ');
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    public void WriteSysctl(string name, string value)
    {
        string path = PathOf(name);
        if (!File.Exists(path))
        {
            throw new TuningAccessException(TuningRefusal.NotSupported, $"{name} does not exist on this kernel ({path}).");
        }

        try
        {
            File.WriteAllText(path, value + "\n");
        }
        catch (UnauthorizedAccessException)
        {
            throw new TuningAccessException(IsRoot ? TuningRefusal.ReadOnly : TuningRefusal.NotRoot,
                IsRoot ? $"{name} is read-only here ({path}): a container or network namespace may not allow it."
                       : $"Writing {name} needs root ({path}); run pwsh with sudo.");
        }
        catch (IOException ex) when (ex.HResult is 30 or unchecked((int)0x8007001E) || ex.Message.Contains("Read-only", StringComparison.OrdinalIgnoreCase))
        {
            throw new TuningAccessException(TuningRefusal.ReadOnly, $"{name} is on a read-only file system ({path}): typical of a container.");
        }
        catch (IOException ex)
        {
            throw new TuningAccessException(TuningRefusal.Other, $"Writing {value} to {name} failed: {ex.Message}");
        }
    }

    public (long Soft, long Hard) GetOpenFileLimit() => OpenFileLimit.Get();

    public void SetOpenFileLimit(long soft, long hard) => OpenFileLimit.Set(soft, hard, CanRaiseHardLimit);

    public string? ReadFile(string path) => File.Exists(path) ? File.ReadAllText(path) : null;

    public void WriteFile(string path, string content)
    {
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, content);
        }
        catch (UnauthorizedAccessException)
        {
            throw new TuningAccessException(TuningRefusal.NotRoot, $"Writing {path} needs root.");
        }
        catch (IOException ex)
        {
            throw new TuningAccessException(TuningRefusal.ReadOnly, $"Writing {path} failed: {ex.Message}");
        }
    }

    public void DeleteFile(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (UnauthorizedAccessException)
        {
            throw new TuningAccessException(TuningRefusal.NotRoot, $"Removing {path} needs root.");
        }
    }

    private static string PathOf(string name) => "/proc/sys/" + name.Replace('.', '/');

    private static bool HasEffectiveCapability(int bit)
    {
        foreach (string line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith("CapEff:", StringComparison.Ordinal))
            {
                ulong mask = ulong.Parse(line[7..].Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                return (mask & (1UL << bit)) != 0;
            }
        }

        return false;
    }

    private static int GetEffectiveUid()
    {
        foreach (string line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith("Uid:", StringComparison.Ordinal))
            {
                string[] ids = line[4..].Split((char[])['\t', ' '], StringSplitOptions.RemoveEmptyEntries);
                return int.Parse(ids[1], CultureInfo.InvariantCulture);
            }
        }

        return -1;
    }
}
