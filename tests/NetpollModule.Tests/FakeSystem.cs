using System.Globalization;
using Netpoll.PowerShell.Tuning;

namespace Netpoll.PowerShell.Tests;

/// <summary>An in-memory machine for tuning tests: sysctls, an open-file limit, files, and refusals on demand.</summary>
internal sealed class FakeSystem : ISystemAccess
{
    public Dictionary<string, string> Sysctls { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, string> Files { get; } = new(StringComparer.Ordinal);

    /// <summary>Settings whose writes fail, and how.</summary>
    public Dictionary<string, TuningRefusal> Refuse { get; } = new(StringComparer.Ordinal);

    public long Soft { get; set; } = 1024;

    public long Hard { get; set; } = 20000;

    public TuningPlatform Platform { get; init; } = TuningPlatform.Linux;

    public bool IsRoot { get; set; } = true;

    public bool CanRaiseHardLimit { get; set; }

    public int ProcessId { get; set; } = Environment.ProcessId;

    public long? SystemFilesInUse { get; set; } = 1000;

    public static FakeSystem LinuxLikeThisMachine() => new()
    {
        Soft = 20000,
        Hard = 20000,
        Sysctls =
        {
            ["fs.nr_open"] = "1048576",
            ["fs.file-max"] = "2466170",
            ["fs.epoll.max_user_watches"] = "5491511",
            ["net.core.somaxconn"] = "4096",
            ["net.ipv4.tcp_max_syn_backlog"] = "2048",
            ["net.core.netdev_max_backlog"] = "1000",
            ["net.ipv4.ip_local_port_range"] = "32768 60999",
            ["net.ipv4.tcp_tw_reuse"] = "2",
            ["net.ipv4.tcp_fin_timeout"] = "60",
            ["net.ipv4.tcp_max_tw_buckets"] = "131072",
            ["net.ipv4.tcp_mem"] = "287898 383867 575796",
            ["net.ipv4.tcp_rmem"] = "4096 131072 33554432",
            ["net.ipv4.tcp_wmem"] = "4096 16384 4194304",
            ["net.netfilter.nf_conntrack_max"] = "262144",
        },
    };

    public string? ReadSysctl(string name) => Sysctls.TryGetValue(name, out string? v) ? v : null;

    public string SysctlSource(string name) => "fake:" + name;

    public void WriteSysctl(string name, string value)
    {
        if (Refuse.TryGetValue(name, out TuningRefusal reason))
        {
            throw new TuningAccessException(reason, $"fake refusal of {name}");
        }

        if (!Sysctls.ContainsKey(name))
        {
            throw new TuningAccessException(TuningRefusal.NotSupported, $"{name} does not exist");
        }

        Sysctls[name] = value;
    }

    public (long Soft, long Hard) GetOpenFileLimit() => (Soft, Hard);

    public void SetOpenFileLimit(long soft, long hard)
    {
        if (hard > Hard && !CanRaiseHardLimit)
        {
            throw new TuningAccessException(TuningRefusal.MissingCapability, "needs CAP_SYS_RESOURCE");
        }

        if (soft > hard)
        {
            throw new TuningAccessException(TuningRefusal.Other, $"soft {soft} above hard {hard}");
        }

        (Soft, Hard) = (soft, hard);
    }

    public string? ReadFile(string path) => Files.TryGetValue(path, out string? c) ? c : null;

    public void WriteFile(string path, string content)
    {
        if (Refuse.ContainsKey(path))
        {
            throw new TuningAccessException(Refuse[path], "fake refusal of " + path);
        }

        Files[path] = content;
    }

    public void DeleteFile(string path) => Files.Remove(path);

    public override string ToString() => string.Join(", ", Sysctls.Select(kv => $"{kv.Key}={kv.Value}")) + string.Create(CultureInfo.InvariantCulture, $"; nofile {Soft}/{Hard}");
}
