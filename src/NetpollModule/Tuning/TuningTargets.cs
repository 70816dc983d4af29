using System.Globalization;

namespace Netpoll.PowerShell.Tuning;

/// <summary>Turns a connection count into target values (the same arithmetic as <see cref="TuningAdvisor"/>).</summary>
public static class TuningTargets
{
    public static IReadOnlyList<TuningTarget> ForConnections(ISystemAccess system, int connections, TuningRole role)
    {
        ArgumentNullException.ThrowIfNull(system);
        long fds = TuningAdvisor.FdsNeeded(connections, role);
        long watches = ((long)connections * TuningAdvisor.FdsPerConnection(role)) + 64;
        long backlog = TuningAdvisor.BacklogFor(connections);
        bool client = role != TuningRole.Server;
        var targets = new List<TuningTarget> { T(TuningSettings.NoFileHard, fds), T(TuningSettings.NoFileSoft, fds) };
        if (system.Platform == TuningPlatform.Linux)
        {
            targets.Add(T("fs.nr_open", fds));
            targets.Add(T("fs.file-max", fds * 2));
            targets.Add(T("fs.epoll.max_user_watches", watches * 2));
            targets.Add(T("net.core.somaxconn", backlog));
            targets.Add(T("net.ipv4.tcp_max_syn_backlog", backlog));
            targets.Add(T("net.ipv4.tcp_max_tw_buckets", connections));
            if (client)
            {
                targets.Add(new TuningTarget("net.ipv4.ip_local_port_range", "1024 65535"));
                targets.Add(T("net.ipv4.tcp_tw_reuse", 1));
            }

            if (system.ReadSysctl("net.netfilter.nf_conntrack_max") is not null)
            {
                targets.Add(T("net.netfilter.nf_conntrack_max", (long)connections * 2));
            }
        }
        else
        {
            targets.Add(T("kern.maxfiles", fds * 2));
            targets.Add(T("kern.maxfilesperproc", fds));
            targets.Add(T("kern.ipc.somaxconn", backlog));
            targets.Add(T("kern.ipc.maxsockets", (long)connections * TuningAdvisor.FdsPerConnection(role) * 2));
            if (client)
            {
                targets.Add(T("net.inet.ip.portrange.first", 1024));
            }

            targets.Add(new TuningTarget(MacSystemAccess.LaunchctlMaxFiles, $"{fds} {fds}"));
        }

        return targets;
    }

    private static TuningTarget T(string setting, long value) => new(setting, value.ToString(CultureInfo.InvariantCulture));
}
