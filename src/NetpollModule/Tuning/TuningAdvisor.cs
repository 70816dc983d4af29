using System.Globalization;

namespace Netpoll.PowerShell.Tuning;

/// <summary>
/// The capacity arithmetic: what a planned connection count needs from each setting, whether the
/// machine has it, and the most connections the current settings allow (with the setting that binds).
/// </summary>
public static class TuningAdvisor
{
    /// <summary>fds a process uses besides connections: runtime, pollers' epoll and eventfds, listeners, logs.</summary>
    public const int FdOverhead = 256;

    /// <summary>Ephemeral ranges never start below this: the ports under it belong to services.</summary>
    public const long LowestEphemeralPort = 1024;

    private const long HighestPort = 65535;

    /// <summary>Smallest TCP buffer a connection pins (tcp_rmem min + tcp_wmem min), per socket.</summary>
    private const long MinSocketBuffers = 8 * 1024;

    public static int FdsPerConnection(TuningRole role) => role == TuningRole.InProcess ? 2 : 1;

    /// <summary>fds a process needs for <paramref name="connections"/> in <paramref name="role"/>.</summary>
    public static long FdsNeeded(int connections, TuningRole role) => ((long)connections * FdsPerConnection(role)) + FdOverhead;

    /// <summary>Listen backlog worth having for a ramp to <paramref name="connections"/>.</summary>
    public static long BacklogFor(int connections) => Math.Clamp(connections / 8, 1024, 65535);

    public static IReadOnlyList<NetpollTuningCheck> Check(ISystemAccess system, int connections, TuningRole role, int sourceAddresses, out NetpollTuningSummary summary)
    {
        ArgumentNullException.ThrowIfNull(system);
        var checks = new List<NetpollTuningCheck>();
        var limits = new List<Limit>();
        long fds = FdsNeeded(connections, role);
        int perConnection = FdsPerConnection(role);
        (long soft, long hard) = system.GetOpenFileLimit();
        bool client = role != TuningRole.Server;

        // The per-process open-file limits apply on both platforms.
        checks.Add(soft >= fds
            ? Pass(TuningSettings.NoFileSoft, soft, $">= {fds}", $"{connections} connections as {role} need {fds} fds ({perConnection} per connection + {FdOverhead}).")
            : hard >= fds
                ? Make(TuningSettings.NoFileSoft, soft, $">= {fds}", TuningStatus.Warn, $"Below the {fds} fds needed, but the hard limit ({hard}) lets this process raise it.", $"Set-NetpollTuning -Connections {connections} -Role {role} -Scope Process", fds)
                : Make(TuningSettings.NoFileSoft, soft, $">= {fds}", TuningStatus.Fail, $"Below the {fds} fds needed, and so is the hard limit ({hard}).", HardLimitFix(system, fds), fds));
        checks.Add(hard >= fds
            ? Pass(TuningSettings.NoFileHard, hard, $">= {fds}", "The soft limit can be raised this far.")
            : Make(TuningSettings.NoFileHard, hard, $">= {fds}", TuningStatus.Fail,
                $"The hard limit caps the soft limit at {hard}; raising it needs {(system.Platform == TuningPlatform.Linux ? "CAP_SYS_RESOURCE" : "root")}, which this process {(system.CanRaiseHardLimit ? "has" : "does not have")}.",
                HardLimitFix(system, fds), fds));
        long hardCeiling = system.CanRaiseHardLimit ? long.MaxValue : hard;
        limits.Add(new(TuningSettings.NoFileHard, (hardCeiling - FdOverhead) / perConnection,
            system.CanRaiseHardLimit ? "" : $"the RLIMIT_NOFILE hard limit of {hard} cannot be raised without {(system.Platform == TuningPlatform.Linux ? "CAP_SYS_RESOURCE" : "root")}",
            Liftable: false));

        if (system.Platform == TuningPlatform.Linux)
        {
            CheckLinux(system, connections, role, sourceAddresses, fds, client, checks, limits);
        }
        else
        {
            CheckMacOS(system, connections, role, sourceAddresses, fds, client, checks, limits);
        }

        (string binding, long max, string why, _) = limits.MinBy(l => l.Max)!;
        Limit? ceiling = limits.Where(l => !l.Liftable).MinBy(l => l.Max);
        long reachable = Math.Max(0, ceiling?.Max ?? long.MaxValue);
        TuningStatus worst = checks.Max(c => c.Status == TuningStatus.Unknown ? TuningStatus.Warn : c.Status);
        summary = new NetpollTuningSummary
        {
            Connections = connections,
            Role = role,
            SourceAddressCount = sourceAddresses,
            Status = worst,
            MaxConnections = Math.Max(0, max),
            BindingConstraint = binding,
            Why = string.IsNullOrEmpty(why) ? $"{binding} allows about {Math.Max(0, max)} connections as {role}." : $"At most about {Math.Max(0, max)} connections as {role}: {why}.",
            Failed = checks.Count(c => c.Status == TuningStatus.Fail),
            Warnings = checks.Count(c => c.Status is TuningStatus.Warn or TuningStatus.Unknown),
            ReachableConnections = reachable,
            OutOfReach = reachable >= connections ? ""
                : string.Create(CultureInfo.InvariantCulture, $"{connections:N0} connections as {role} are out of reach here: at most about {reachable:N0} even after Set-NetpollTuning, because {ceiling!.Why}."),
        };
        return checks;
    }

    /// <summary>The targets Set-NetpollTuning -Connections writes: exactly those of the checks that warn or fail, at the value each check names.</summary>
    public static IReadOnlyList<TuningTarget> Targets(IEnumerable<NetpollTuningCheck> checks) =>
        [.. checks.Where(c => c.Status is TuningStatus.Warn or TuningStatus.Fail && c.Target is not null).Select(c => new TuningTarget(c.Setting, c.Target!))];

    /// <summary>Ephemeral ports a client needs per source address for <paramref name="connections"/>, with 10 % to spare for TIME_WAIT.</summary>
    public static long PortsNeeded(int connections, int sources) => (((long)connections + sources - 1) / sources * 11 / 10) + 1;

    /// <summary>A range with at least <paramref name="needed"/> ports: the current one grown downwards (then upwards) only as far as needed, never below 1024.</summary>
    public static (long First, long Last) WidenTo(long first, long last, long needed)
    {
        long newFirst = Math.Max(LowestEphemeralPort, Math.Min(first, last - needed + 1));
        long newLast = Math.Min(HighestPort, Math.Max(last, newFirst + needed - 1));
        return (newFirst, newLast);
    }

    /// <summary>A bound on connections, and whether Set-NetpollTuning can lift it from this process.</summary>
    private sealed record Limit(string Setting, long Max, string Why, bool Liftable);

    private static void CheckLinux(ISystemAccess system, int connections, TuningRole role, int sources, long fds, bool client, List<NetpollTuningCheck> checks, List<Limit> limits)
    {
        int perConnection = FdsPerConnection(role);
        long? nrOpen = First(system.ReadSysctl("fs.nr_open"));
        checks.Add(AtLeast("fs.nr_open", nrOpen, fds, TuningStatus.Fail, "Caps every process's hard open-file limit.", fds));
        if (nrOpen is { } n && system.CanRaiseHardLimit)
        {
            limits.Add(new("fs.nr_open", (n - FdOverhead) / perConnection, $"fs.nr_open is {n}", system.IsRoot));
        }

        long? fileMax = First(system.ReadSysctl("fs.file-max"));
        long inUse = system.SystemFilesInUse ?? 0;
        checks.Add(fileMax is null ? Unknown("fs.file-max", fds)
            : fileMax.Value - inUse >= fds ? Pass("fs.file-max", fileMax, $">= {fds + inUse}", $"{inUse} files are open system-wide; {fileMax.Value - inUse} remain.")
            : Make("fs.file-max", fileMax, $">= {fds + inUse}", TuningStatus.Fail, $"Only {fileMax.Value - inUse} files remain system-wide.", $"sysctl -w fs.file-max={(fds + inUse) * 2}", (fds + inUse) * 2));
        if (fileMax is { } fm)
        {
            limits.Add(new("fs.file-max", (fm - inUse - FdOverhead) / perConnection, $"fs.file-max leaves {fm - inUse} files", system.IsRoot));
        }

        long watchesNeeded = (long)connections * perConnection + 64;
        long? watches = First(system.ReadSysctl("fs.epoll.max_user_watches"));
        checks.Add(AtLeast("fs.epoll.max_user_watches", watches, watchesNeeded, TuningStatus.Fail, "Every registered connection is one epoll watch.", watchesNeeded * 2));
        if (watches is { } w)
        {
            limits.Add(new("fs.epoll.max_user_watches", w / perConnection, $"fs.epoll.max_user_watches is {w}", system.IsRoot));
        }

        long backlog = BacklogFor(connections);
        checks.Add(AtLeast("net.core.somaxconn", First(system.ReadSysctl("net.core.somaxconn")), backlog, TuningStatus.Warn, "A short accept queue drops SYNs during a fast ramp (clients retry after 1 s).", backlog));
        checks.Add(AtLeast("net.ipv4.tcp_max_syn_backlog", First(system.ReadSysctl("net.ipv4.tcp_max_syn_backlog")), backlog, TuningStatus.Warn, "Half-open connections beyond it are dropped during a burst.", backlog));
        checks.Add(AtLeast("net.core.netdev_max_backlog", First(system.ReadSysctl("net.core.netdev_max_backlog")), 1000, TuningStatus.Warn, "Packet queue per CPU; the default suits loopback tests.", 1000));

        long[] range = Numbers(system.ReadSysctl("net.ipv4.ip_local_port_range"));
        if (range.Length == 2)
        {
            long ports = range[1] - range[0] + 1;
            long capacity = ports * sources;
            long needed = PortsNeeded(connections, sources);
            (long first, long last) = WidenTo(range[0], range[1], needed);
            long widest = HighestPort - LowestEphemeralPort + 1;
            checks.Add(!client ? Pass("net.ipv4.ip_local_port_range", Text(range), "(clients only)", "A server uses no ephemeral ports.")
                : capacity >= connections ? Pass("net.ipv4.ip_local_port_range", Text(range), $">= {connections} ports in all", $"{ports} ports × {sources} source address(es) = {capacity}.")
                : Make("net.ipv4.ip_local_port_range", Text(range), $">= {connections} ports in all", TuningStatus.Fail,
                    $"{ports} ports × {sources} source address(es) = {capacity}: connects past that fail with EADDRNOTAVAIL.{(needed > widest ? $" Even {LowestEphemeralPort}-{HighestPort} is too few: add source addresses." : "")}",
                    $"sysctl -w net.ipv4.ip_local_port_range=\"{first} {last}\"   # or use -SourceAddressCount {(connections + ports - 1) / ports}",
                    $"{first} {last}"));
            if (client)
            {
                limits.Add(new("net.ipv4.ip_local_port_range", capacity, $"{ports} ephemeral ports × {sources} source address(es)", system.IsRoot));
                limits.Add(new("net.ipv4.ip_local_port_range", widest * sources, $"even {LowestEphemeralPort}-{HighestPort} gives only {widest} ephemeral ports per source address ({sources} given)", Liftable: false));
            }
        }
        else
        {
            checks.Add(Unknown("net.ipv4.ip_local_port_range", connections));
        }

        long? twReuse = First(system.ReadSysctl("net.ipv4.tcp_tw_reuse"));
        checks.Add(!client || twReuse >= 1 ? Pass("net.ipv4.tcp_tw_reuse", twReuse, client ? ">= 1" : "(clients only)", twReuse == 2 ? "2 reuses TIME_WAIT ports on loopback only, which is what these tests use." : "Ports in TIME_WAIT can be reused.")
            : Make("net.ipv4.tcp_tw_reuse", twReuse, ">= 1", TuningStatus.Warn, "Reconnect churn leaves ports in TIME_WAIT for 60 s and runs out.", "sysctl -w net.ipv4.tcp_tw_reuse=1", 1));

        long? finTimeout = First(system.ReadSysctl("net.ipv4.tcp_fin_timeout"));
        checks.Add(!client || finTimeout <= 30 ? Pass("net.ipv4.tcp_fin_timeout", finTimeout, client ? "<= 30" : "(clients only)", "Closed connections leave FIN_WAIT_2 soon enough.")
            : Make("net.ipv4.tcp_fin_timeout", finTimeout, "<= 30", TuningStatus.Warn, "Closed client sockets hold their ports longer under churn.", "sysctl -w net.ipv4.tcp_fin_timeout=30", 30));

        checks.Add(AtLeast("net.ipv4.tcp_max_tw_buckets", First(system.ReadSysctl("net.ipv4.tcp_max_tw_buckets")), connections, TuningStatus.Warn, "Past it, closing connections skip TIME_WAIT (logged as 'time wait bucket table overflow').", connections));

        long[] tcpMem = Numbers(system.ReadSysctl("net.ipv4.tcp_mem"));
        long sides = role == TuningRole.InProcess ? 2 : 1;
        long bytesNeeded = connections * sides * MinSocketBuffers;
        if (tcpMem.Length == 3)
        {
            long pressure = tcpMem[1] * 4096;
            long max = tcpMem[2] * 4096;
            string memTarget = $"{tcpMem[0]} {Math.Max(tcpMem[1], bytesNeeded / 4096 * 2)} {Math.Max(tcpMem[2], bytesNeeded / 4096 * 3)}";
            checks.Add(bytesNeeded <= pressure ? Pass("net.ipv4.tcp_mem", Text(tcpMem), $"pressure >= {bytesNeeded / 4096} pages", $"{connections} connections pin at least {bytesNeeded / (1024 * 1024)} MiB of socket buffers.")
                : Make("net.ipv4.tcp_mem", Text(tcpMem), $"pressure >= {bytesNeeded / 4096} pages", bytesNeeded <= max ? TuningStatus.Warn : TuningStatus.Fail,
                    $"{connections} connections pin at least {bytesNeeded / (1024 * 1024)} MiB; past the pressure mark the kernel shrinks buffers, past the max it drops.",
                    $"sysctl -w net.ipv4.tcp_mem=\"{memTarget}\"", memTarget));
            limits.Add(new("net.ipv4.tcp_mem", max / (sides * MinSocketBuffers), $"tcp_mem allows {max / (1024 * 1024)} MiB of socket buffers", system.IsRoot));
        }
        else
        {
            checks.Add(Unknown("net.ipv4.tcp_mem", connections));
        }

        foreach (string buffers in new[] { "net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem" })
        {
            long[] values = Numbers(system.ReadSysctl(buffers));
            checks.Add(values.Length == 3
                ? Pass(buffers, Text(values), "(informational)", $"Each socket starts at {values[1]} B and may grow to {values[2]} B: {connections * sides * values[1] / (1024 * 1024)} MiB for {connections} busy connections at the default.")
                : Unknown(buffers, connections));
        }

        string? conntrack = system.ReadSysctl("net.netfilter.nf_conntrack_max");
        if (conntrack is null)
        {
            checks.Add(Pass("net.netfilter.nf_conntrack_max", null, "(when loaded)", "conntrack is not loaded: nothing tracks connections."));
        }
        else
        {
            long? tracked = First(conntrack);
            checks.Add(AtLeast("net.netfilter.nf_conntrack_max", tracked, connections, TuningStatus.Fail, "When the table is full, new connections' packets are dropped ('nf_conntrack: table full').", (long)connections * 2));
            if (tracked is { } t)
            {
                limits.Add(new("net.netfilter.nf_conntrack_max", t, $"nf_conntrack_max is {t}", system.IsRoot));
            }
        }
    }

    private static void CheckMacOS(ISystemAccess system, int connections, TuningRole role, int sources, long fds, bool client, List<NetpollTuningCheck> checks, List<Limit> limits)
    {
        int perConnection = FdsPerConnection(role);
        long? maxFiles = First(system.ReadSysctl("kern.maxfiles"));
        checks.Add(AtLeast("kern.maxfiles", maxFiles, fds, TuningStatus.Fail, "Open files allowed system-wide.", fds * 2));
        if (maxFiles is { } mf)
        {
            limits.Add(new("kern.maxfiles", (mf - (system.SystemFilesInUse ?? 0) - FdOverhead) / perConnection, $"kern.maxfiles is {mf}", system.IsRoot));
        }

        long? perProc = First(system.ReadSysctl("kern.maxfilesperproc"));
        checks.Add(AtLeast("kern.maxfilesperproc", perProc, fds, TuningStatus.Fail, "Caps every process's open-file limit.", fds));
        if (perProc is { } pp)
        {
            limits.Add(new("kern.maxfilesperproc", (pp - FdOverhead) / perConnection, $"kern.maxfilesperproc is {pp}", system.IsRoot));
        }

        long backlog = BacklogFor(connections);
        checks.Add(AtLeast("kern.ipc.somaxconn", First(system.ReadSysctl("kern.ipc.somaxconn")), backlog, TuningStatus.Warn, "A short accept queue drops SYNs during a fast ramp.", backlog));
        long? sockets = First(system.ReadSysctl("kern.ipc.maxsockets"));
        checks.Add(AtLeast("kern.ipc.maxsockets", sockets, (long)connections * perConnection, TuningStatus.Fail, "Sockets allowed system-wide (set at boot on some releases).", (long)connections * perConnection * 2));
        if (sockets is { } s)
        {
            limits.Add(new("kern.ipc.maxsockets", s / perConnection, $"kern.ipc.maxsockets is {s}", system.IsRoot));
        }

        long? first = First(system.ReadSysctl("net.inet.ip.portrange.first"));
        long? last = First(system.ReadSysctl("net.inet.ip.portrange.last"));
        if (first is { } f && last is { } l)
        {
            long capacity = (l - f + 1) * sources;
            long widenedFirst = WidenTo(f, l, PortsNeeded(connections, sources)).First;
            checks.Add(!client || capacity >= connections
                ? Pass("net.inet.ip.portrange.first", f, client ? $"range >= {connections} ports in all" : "(clients only)", $"{l - f + 1} ports × {sources} source address(es).")
                : Make("net.inet.ip.portrange.first", f, $"range >= {connections} ports in all", TuningStatus.Fail, $"{l - f + 1} ports × {sources} source address(es) = {capacity}: connects past that fail with EADDRNOTAVAIL.", $"sysctl -w net.inet.ip.portrange.first={widenedFirst}", widenedFirst));
            checks.Add(Pass("net.inet.ip.portrange.last", l, "(with first)", "The upper end of the ephemeral range."));
            if (client)
            {
                limits.Add(new("net.inet.ip.portrange.first", capacity, $"{l - f + 1} ephemeral ports × {sources} source address(es)", system.IsRoot));
                limits.Add(new("net.inet.ip.portrange.first", (l - LowestEphemeralPort + 1) * sources, $"even from port {LowestEphemeralPort} there are only {l - LowestEphemeralPort + 1} ephemeral ports per source address ({sources} given)", Liftable: false));
            }
        }
        else
        {
            checks.Add(Unknown("net.inet.ip.portrange.first", connections));
        }

        long[] launchd = Numbers(system.ReadSysctl(MacSystemAccess.LaunchctlMaxFiles)?.Replace("unlimited", long.MaxValue.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal));
        checks.Add(launchd.Length == 2 && launchd[0] >= fds
            ? Pass(MacSystemAccess.LaunchctlMaxFiles, Text(launchd), $">= {fds} {fds}", "New processes start with enough open files.")
            : Make(MacSystemAccess.LaunchctlMaxFiles, launchd.Length == 2 ? Text(launchd) : null, $">= {fds} {fds}", TuningStatus.Warn,
                "Processes launchd starts (new terminals, services) begin with a low soft limit.", $"sudo launchctl limit maxfiles {fds} {fds}", $"{fds} {fds}"));
    }

    private static string HardLimitFix(ISystemAccess system, long fds) =>
        system.CanRaiseHardLimit
            ? $"Set-NetpollTuning -Connections {fds - FdOverhead} -Scope Process"
            : system.Platform == TuningPlatform.Linux
                ? $"As root with CAP_SYS_RESOURCE, before starting pwsh: ulimit -Hn {fds}; or Set-NetpollTuning -Scope Persistent (writes /etc/security/limits.d/90-netpoll.conf) and log in again"
                : $"sudo launchctl limit maxfiles {fds} {fds}, then start a new shell";

    private static NetpollTuningCheck AtLeast(string setting, long? current, long required, TuningStatus failure, string why, long fixValue) =>
        current is null ? Unknown(setting, required)
        : current.Value >= required ? Pass(setting, current, $">= {required}", why)
        : Make(setting, current, $">= {required}", failure, why, $"sysctl -w {setting}={fixValue}", fixValue);

    private static NetpollTuningCheck Pass(string setting, object? current, string required, string why) =>
        Make(setting, current, required, TuningStatus.Pass, why, "");

    private static NetpollTuningCheck Unknown(string setting, long required) =>
        Make(setting, null, $">= {required}", TuningStatus.Unknown, "The value could not be read here.", "");

    private static NetpollTuningCheck Make(string setting, object? current, string required, TuningStatus status, string why, string fix, object? target = null) => new()
    {
        Setting = setting,
        Current = current switch { null => null, long l => l.ToString(CultureInfo.InvariantCulture), _ => current.ToString() },
        Required = required,
        Status = status,
        Why = why,
        Fix = fix,
        Target = target switch { null => null, long l => l.ToString(CultureInfo.InvariantCulture), int i => i.ToString(CultureInfo.InvariantCulture), _ => target.ToString() },
    };

    internal static long[] Numbers(string? text) =>
        text is null ? [] : [.. text.Split((char[])[' ', '\t'], StringSplitOptions.RemoveEmptyEntries).Select(p => long.TryParse(p, NumberStyles.Integer, CultureInfo.InvariantCulture, out long v) ? v : -1).Where(v => v >= 0)];

    internal static long? First(string? text) => Numbers(text) is [var first, ..] ? first : null;

    private static string Text(long[] values) => string.Join(' ', values);
}
