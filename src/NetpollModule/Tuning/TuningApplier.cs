using System.Globalization;
using System.Text;

namespace Netpoll.PowerShell.Tuning;

/// <summary>
/// Plans, applies and reverts tuning. Only improves values (unless forced), snapshots before the first
/// change, and reports each setting it could not change with the reason.
/// </summary>
public static class TuningApplier
{
    public const string LinuxSysctlDropIn = "/etc/sysctl.d/90-netpoll.conf";
    public const string LinuxLimitsDropIn = "/etc/security/limits.d/90-netpoll.conf";
    public const string MacLaunchDaemon = "/Library/LaunchDaemons/io.netpoll.tuning.plist";

    /// <summary>A change to make, or the reason it will not be made.</summary>
    public sealed record Plan(string Setting, string? Before, string After, string? SkipReason);

    public static IReadOnlyList<Plan> PlanChanges(ISystemAccess system, IEnumerable<TuningTarget> targets, TuningScope scope, bool force)
    {
        ArgumentNullException.ThrowIfNull(system);
        (long soft, long hard) = system.GetOpenFileLimit();
        var plans = new List<Plan>();
        foreach (TuningTarget target in targets)
        {
            string? before = target.Setting switch
            {
                TuningSettings.NoFileSoft => soft.ToString(CultureInfo.InvariantCulture),
                TuningSettings.NoFileHard => hard.ToString(CultureInfo.InvariantCulture),
                _ => system.ReadSysctl(target.Setting),
            };
            string after = target.Value;
            string? skip = null;
            bool isLimit = target.Setting is TuningSettings.NoFileSoft or TuningSettings.NoFileHard;
            if (before is null)
            {
                skip = $"{target.Setting} does not exist here.";
            }
            else if (Same(before, after))
            {
                skip = "";
            }
            else if (Worsens(target.Setting, before, after) && !force)
            {
                // Improving only: a value already better than the target is kept.
                skip = "";
            }
            else if (!isLimit && scope == TuningScope.Process)
            {
                skip = "Kernel settings need -Scope Runtime or Persistent.";
            }
            else if (target.Setting == TuningSettings.NoFileHard && long.Parse(after, CultureInfo.InvariantCulture) > hard && !system.CanRaiseHardLimit)
            {
                skip = $"Raising the hard open-file limit needs {(system.Platform == TuningPlatform.Linux ? "CAP_SYS_RESOURCE" : "root")}; this process does not have it, so the limit stays {hard}.";
            }

            if (target.Setting == TuningSettings.NoFileSoft && skip is null)
            {
                long wanted = long.Parse(after, CultureInfo.InvariantCulture);
                long ceiling = system.CanRaiseHardLimit ? Math.Max(hard, wanted) : hard;
                if (wanted > ceiling)
                {
                    after = ceiling.ToString(CultureInfo.InvariantCulture);
                    skip = Same(before!, after) ? $"Already at the hard limit ({hard}); wanted {wanted}." : null;
                }
            }

            plans.Add(new Plan(target.Setting, before, after, skip));
        }

        return plans;
    }

    /// <summary>Applies the plans (the caller already confirmed each) after saving a snapshot; returns one change per plan plus drop-ins.</summary>
    public static IReadOnlyList<NetpollTuningChange> Apply(ISystemAccess system, IReadOnlyList<Plan> plans, TuningScope scope)
    {
        ArgumentNullException.ThrowIfNull(system);
        List<Plan> todo = [.. plans.Where(p => p.SkipReason is null)];
        var snapshot = new TuningSnapshot
        {
            Id = Guid.NewGuid().ToString("N")[..8],
            Created = DateTimeOffset.Now,
            ProcessId = system.ProcessId,
            Platform = system.Platform,
            Scope = scope,
            Values = [.. todo.Select(p => new SnapshotValue(p.Setting, p.Before, p.After))],
            Files = [],
        };
        List<(string Path, string Content)> dropIns = scope == TuningScope.Persistent ? DropIns(system, todo, plans) : [];
        foreach ((string path, _) in dropIns)
        {
            snapshot.Files.Add(new SnapshotFile(path, system.ReadFile(path)));
        }

        if (todo.Count > 0 || dropIns.Count > 0)
        {
            snapshot.Save();
        }

        var results = new List<NetpollTuningChange>();
        (long soft, long hard) = system.GetOpenFileLimit();
        foreach (Plan plan in plans)
        {
            if (plan.SkipReason is not null)
            {
                results.Add(Change(plan.Setting, plan.Before, plan.Before, plan.SkipReason.Length == 0 ? TuningChangeStatus.Unchanged : TuningChangeStatus.Skipped, plan.SkipReason, null));
                continue;
            }

            try
            {
                Write(system, plan.Setting, plan.After, ref soft, ref hard);
                results.Add(Change(plan.Setting, plan.Before, plan.After, TuningChangeStatus.Changed, "", snapshot.Path));
            }
            catch (TuningAccessException ex)
            {
                results.Add(Change(plan.Setting, plan.Before, plan.Before, TuningChangeStatus.Failed, $"{ex.Reason}: {ex.Message}", snapshot.Path));
            }
        }

        foreach ((string path, string content) in dropIns)
        {
            try
            {
                system.WriteFile(path, content);
                results.Add(Change(path, null, path, TuningChangeStatus.FileWritten, "Applies at boot (sysctl) or at the next login (limits).", snapshot.Path));
            }
            catch (TuningAccessException ex)
            {
                results.Add(Change(path, null, null, TuningChangeStatus.Failed, $"{ex.Reason}: {ex.Message}", snapshot.Path));
            }
        }

        return results;
    }

    /// <summary>Puts back every value a snapshot recorded and removes (or restores) its drop-in files.</summary>
    public static IReadOnlyList<NetpollTuningChange> Restore(ISystemAccess system, TuningSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(system);
        ArgumentNullException.ThrowIfNull(snapshot);
        var results = new List<NetpollTuningChange>();
        (long soft, long hard) = system.GetOpenFileLimit();

        // Undo in reverse order: the soft limit before the hard limit it depends on.
        foreach (SnapshotValue value in Enumerable.Reverse(snapshot.Values))
        {
            if (value.Before is null)
            {
                continue;
            }

            try
            {
                if (value.Setting is TuningSettings.NoFileSoft or TuningSettings.NoFileHard && snapshot.ProcessId != system.ProcessId)
                {
                    results.Add(Change(value.Setting, value.After, value.After, TuningChangeStatus.Skipped, $"The open-file limit belonged to process {snapshot.ProcessId}; it ended with that process.", snapshot.Path));
                    continue;
                }

                Write(system, value.Setting, value.Before, ref soft, ref hard);
                results.Add(Change(value.Setting, value.After, value.Before, TuningChangeStatus.Restored, "", snapshot.Path));
            }
            catch (TuningAccessException ex)
            {
                results.Add(Change(value.Setting, value.After, value.After, TuningChangeStatus.Failed, $"{ex.Reason}: {ex.Message}", snapshot.Path));
            }
        }

        foreach (SnapshotFile file in snapshot.Files)
        {
            try
            {
                if (file.PreviousContent is null)
                {
                    system.DeleteFile(file.Path);
                    results.Add(Change(file.Path, file.Path, null, TuningChangeStatus.FileRemoved, "", snapshot.Path));
                }
                else
                {
                    system.WriteFile(file.Path, file.PreviousContent);
                    results.Add(Change(file.Path, file.Path, file.Path, TuningChangeStatus.Restored, "Previous content put back.", snapshot.Path));
                }
            }
            catch (TuningAccessException ex)
            {
                results.Add(Change(file.Path, file.Path, file.Path, TuningChangeStatus.Failed, $"{ex.Reason}: {ex.Message}", snapshot.Path));
            }
        }

        return results;
    }

    /// <summary>
    /// Writes one setting: a sysctl, or one side of the open-file limit, set together with the other side
    /// so soft never exceeds hard. <paramref name="soft"/> and <paramref name="hard"/> track what is in force.
    /// </summary>
    private static void Write(ISystemAccess system, string setting, string value, ref long soft, ref long hard)
    {
        switch (setting)
        {
            case TuningSettings.NoFileHard:
                long newHard = long.Parse(value, CultureInfo.InvariantCulture);
                long newSoft = Math.Min(soft, newHard);
                system.SetOpenFileLimit(newSoft, newHard);
                (soft, hard) = (newSoft, newHard);
                break;
            case TuningSettings.NoFileSoft:
                long wantedSoft = long.Parse(value, CultureInfo.InvariantCulture);
                system.SetOpenFileLimit(wantedSoft, hard);
                soft = wantedSoft;
                break;
            default:
                system.WriteSysctl(setting, value);
                break;
        }
    }

    private static List<(string, string)> DropIns(ISystemAccess system, List<Plan> todo, IReadOnlyList<Plan> all)
    {
        var files = new List<(string, string)>();
        List<Plan> kernel = [.. todo.Where(p => p.Setting is not (TuningSettings.NoFileSoft or TuningSettings.NoFileHard or MacSystemAccess.LaunchctlMaxFiles))];

        // The limits drop-in applies at the next login, so it carries the wanted hard limit even when
        // this process could not raise its own (no CAP_SYS_RESOURCE): that is what it is for.
        Plan? limit = all.FirstOrDefault(p => p.Setting == TuningSettings.NoFileHard && Raises(p)) ?? all.FirstOrDefault(p => p.Setting == TuningSettings.NoFileSoft && Raises(p));
        if (system.Platform == TuningPlatform.Linux)
        {
            if (kernel.Count > 0)
            {
                var text = new StringBuilder("# Written by Set-NetpollTuning; Restore-NetpollTuning removes it.\n");
                kernel.ForEach(p => text.Append(CultureInfo.InvariantCulture, $"{p.Setting} = {p.After}\n"));
                files.Add((LinuxSysctlDropIn, text.ToString()));
            }

            if (limit is not null)
            {
                files.Add((LinuxLimitsDropIn, $"# Written by Set-NetpollTuning; Restore-NetpollTuning removes it.\n*    soft nofile {limit.After}\n*    hard nofile {limit.After}\nroot soft nofile {limit.After}\nroot hard nofile {limit.After}\n"));
            }
        }
        else if (kernel.Count > 0 || limit is not null)
        {
            var args = new StringBuilder();
            kernel.ForEach(p => args.Append(CultureInfo.InvariantCulture, $"sysctl -w {p.Setting}={p.After}; "));
            if (limit is not null)
            {
                args.Append(CultureInfo.InvariantCulture, $"launchctl limit maxfiles {limit.After} {limit.After};");
            }

            files.Add((MacLaunchDaemon, $"""
                <?xml version="1.0" encoding="UTF-8"?>
                <!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
                <!-- Written by Set-NetpollTuning; Restore-NetpollTuning removes it. -->
                <plist version="1.0">
                <dict>
                  <key>Label</key><string>io.netpoll.tuning</string>
                  <key>ProgramArguments</key>
                  <array><string>/bin/sh</string><string>-c</string><string>{System.Security.SecurityElement.Escape(args.ToString())}</string></array>
                  <key>RunAtLoad</key><true/>
                </dict>
                </plist>

                """));
        }

        return files;
    }

    private static bool Raises(Plan plan) =>
        TuningAdvisor.First(plan.After) is { } after && (TuningAdvisor.First(plan.Before) is not { } before || after > before);

    private static bool Same(string before, string after) =>
        TuningAdvisor.Numbers(before).SequenceEqual(TuningAdvisor.Numbers(after)) && TuningAdvisor.Numbers(before).Length > 0 || before == after;

    /// <summary>
    /// True when <paramref name="after"/> is worse than <paramref name="before"/> in any position: lower for
    /// limits, higher for tcp_fin_timeout (a shorter FIN_WAIT_2 frees ports sooner), narrower for a port range.
    /// </summary>
    private static bool Worsens(string setting, string before, string after)
    {
        long[] b = TuningAdvisor.Numbers(before);
        long[] a = TuningAdvisor.Numbers(after);
        if (b.Length != a.Length || b.Length == 0)
        {
            return false;
        }

        return setting switch
        {
            "net.ipv4.tcp_fin_timeout" => a[0] > b[0],
            "net.ipv4.ip_local_port_range" => a[0] > b[0] || a[1] < b[1],
            "net.inet.ip.portrange.first" => a[0] > b[0],
            _ => a.Zip(b).Any(p => p.First < p.Second),
        };
    }

    private static NetpollTuningChange Change(string setting, string? before, string? after, TuningChangeStatus status, string reason, string? snapshot) => new()
    {
        Setting = setting,
        Before = before,
        After = after,
        Status = status,
        Reason = reason,
        Snapshot = snapshot,
    };
}
