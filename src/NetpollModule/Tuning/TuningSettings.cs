namespace Netpoll.PowerShell.Tuning;

/// <summary>The settings that limit connection count and churn, per platform, with what each one limits.</summary>
public static class TuningSettings
{
    public const string NoFileSoft = "RLIMIT_NOFILE.soft";
    public const string NoFileHard = "RLIMIT_NOFILE.hard";

    public static IReadOnlyList<(string Name, string Description)> For(TuningPlatform platform) =>
        platform == TuningPlatform.Linux ? Linux : MacOS;

    private static readonly (string, string)[] Linux =
    [
        (NoFileSoft, "Open files (sockets) this process may have now; one per connection."),
        (NoFileHard, "Ceiling for the soft limit; raising it needs CAP_SYS_RESOURCE."),
        ("fs.nr_open", "Ceiling for any process's hard open-file limit."),
        ("fs.file-max", "Open files allowed system-wide."),
        ("fs.epoll.max_user_watches", "fds one user may register with epoll; one per connection."),
        ("net.core.somaxconn", "Cap on a listener's accept queue (the listen backlog)."),
        ("net.ipv4.tcp_max_syn_backlog", "Half-open connections queued per listener during a connect burst."),
        ("net.core.netdev_max_backlog", "Packets queued per CPU before the stack processes them."),
        ("net.ipv4.ip_local_port_range", "Ephemeral ports a client may use per source address and destination."),
        ("net.ipv4.tcp_tw_reuse", "Reuse TIME_WAIT ports for new outgoing connections (1 = on, 2 = loopback only)."),
        ("net.ipv4.tcp_fin_timeout", "Seconds a closed connection stays in FIN_WAIT_2."),
        ("net.ipv4.tcp_max_tw_buckets", "TIME_WAIT sockets kept before the kernel drops them."),
        ("net.ipv4.tcp_mem", "TCP memory in pages: low, pressure, max."),
        ("net.ipv4.tcp_rmem", "Receive buffer per socket: min, default, max bytes."),
        ("net.ipv4.tcp_wmem", "Send buffer per socket: min, default, max bytes."),
        ("net.netfilter.nf_conntrack_max", "Connections the firewall tracks (only when conntrack is loaded)."),
    ];

    private static readonly (string, string)[] MacOS =
    [
        (NoFileSoft, "Open files (sockets) this process may have now; one per connection."),
        (NoFileHard, "Ceiling for the soft limit; raising it needs root."),
        ("kern.maxfiles", "Open files allowed system-wide."),
        ("kern.maxfilesperproc", "Open files allowed per process."),
        ("kern.ipc.somaxconn", "Cap on a listener's accept queue (the listen backlog)."),
        ("kern.ipc.maxsockets", "Sockets allowed system-wide."),
        ("net.inet.ip.portrange.first", "First ephemeral port."),
        ("net.inet.ip.portrange.last", "Last ephemeral port."),
        (MacSystemAccess.LaunchctlMaxFiles, "launchd's default open-file limits (soft hard) for new processes."),
    ];
}
