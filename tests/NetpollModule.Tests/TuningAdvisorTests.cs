using Netpoll.PowerShell.Tuning;

namespace Netpoll.PowerShell.Tests;

public class TuningAdvisorTests
{
    [Fact]
    public void On_this_machine_the_20000_hard_limit_without_CAP_SYS_RESOURCE_is_the_binding_constraint()
    {
        FakeSystem system = FakeSystem.LinuxLikeThisMachine();
        var checks = TuningAdvisor.Check(system, 19000, TuningRole.Server, 1, out NetpollTuningSummary summary);
        Assert.Equal(TuningSettings.NoFileHard, summary.BindingConstraint);
        Assert.Equal(20000 - TuningAdvisor.FdOverhead, summary.MaxConnections);
        Assert.Contains("CAP_SYS_RESOURCE", summary.Why, StringComparison.Ordinal);
        Assert.Equal(TuningStatus.Pass, checks.Single(c => c.Setting == TuningSettings.NoFileHard).Status);

        // Twice as many fds in one process: half the connections.
        TuningAdvisor.Check(system, 19000, TuningRole.InProcess, 1, out summary);
        Assert.Equal((20000 - TuningAdvisor.FdOverhead) / 2, summary.MaxConnections);
        Assert.Equal(TuningStatus.Fail, summary.Status);
    }

    [Fact]
    public void A_hard_limit_below_the_need_fails_and_names_the_missing_capability_and_the_fix()
    {
        FakeSystem system = FakeSystem.LinuxLikeThisMachine();
        var checks = TuningAdvisor.Check(system, 50000, TuningRole.Server, 1, out NetpollTuningSummary summary);
        NetpollTuningCheck hard = checks.Single(c => c.Setting == TuningSettings.NoFileHard);
        Assert.Equal(TuningStatus.Fail, hard.Status);
        Assert.Contains("does not have", hard.Why, StringComparison.Ordinal);
        Assert.Contains("ulimit -Hn 50256", hard.Fix, StringComparison.Ordinal);
        Assert.Equal(checks.Count(c => c.Status == TuningStatus.Fail), summary.Failed);

        system.CanRaiseHardLimit = true; // root with the capability: now fs.nr_open binds
        TuningAdvisor.Check(system, 50000, TuningRole.Server, 1, out summary);
        Assert.NotEqual(TuningSettings.NoFileHard, summary.BindingConstraint);
    }

    [Fact]
    public void A_soft_limit_below_the_need_under_a_sufficient_hard_limit_is_a_warning_with_a_process_fix()
    {
        FakeSystem system = FakeSystem.LinuxLikeThisMachine();
        system.Soft = 1024;
        NetpollTuningCheck soft = TuningAdvisor.Check(system, 5000, TuningRole.Server, 1, out _).Single(c => c.Setting == TuningSettings.NoFileSoft);
        Assert.Equal(TuningStatus.Warn, soft.Status);
        Assert.Equal("Set-NetpollTuning -Connections 5000 -Role Server -Scope Process", soft.Fix);
    }

    [Theory]
    [InlineData(20000, 1, TuningStatus.Pass)]
    [InlineData(40000, 1, TuningStatus.Fail)]
    [InlineData(40000, 2, TuningStatus.Pass)]
    public void Ephemeral_ports_times_source_addresses_bound_a_client(int connections, int sources, TuningStatus expected)
    {
        FakeSystem system = FakeSystem.LinuxLikeThisMachine();
        system.Hard = system.Soft = 1_000_000;
        var checks = TuningAdvisor.Check(system, connections, TuningRole.Client, sources, out NetpollTuningSummary summary);
        NetpollTuningCheck ports = checks.Single(c => c.Setting == "net.ipv4.ip_local_port_range");
        Assert.Equal(expected, ports.Status);
        if (expected == TuningStatus.Fail)
        {
            Assert.Contains("EADDRNOTAVAIL", ports.Why, StringComparison.Ordinal);
            Assert.Equal("net.ipv4.ip_local_port_range", summary.BindingConstraint);
            Assert.Equal(28232 * sources, summary.MaxConnections);
        }
    }

    [Fact]
    public void Conntrack_is_checked_only_when_loaded_and_missing_values_are_unknown()
    {
        FakeSystem system = FakeSystem.LinuxLikeThisMachine();
        system.Sysctls.Remove("net.netfilter.nf_conntrack_max");
        system.Sysctls.Remove("net.core.somaxconn");
        var checks = TuningAdvisor.Check(system, 1000, TuningRole.Server, 1, out _);
        Assert.Equal(TuningStatus.Pass, checks.Single(c => c.Setting == "net.netfilter.nf_conntrack_max").Status);
        Assert.Equal(TuningStatus.Unknown, checks.Single(c => c.Setting == "net.core.somaxconn").Status);
    }

    [Theory]
    [InlineData("32768\t60999", new long[] { 32768, 60999 })]
    [InlineData("287898 383867 575796\n", new long[] { 287898, 383867, 575796 })]
    [InlineData("", new long[0])]
    [InlineData("unlimited", new long[0])]
    public void Sysctl_values_parse_as_numbers(string text, long[] expected) =>
        Assert.Equal(expected, TuningAdvisor.Numbers(text.Trim()));

    [Fact]
    public void MacOS_settings_are_read_with_sysctl_and_launchctl_and_written_with_sysctl_w()
    {
        var calls = new List<string>();
        var values = new Dictionary<string, string> { ["kern.maxfiles"] = "12288", ["kern.maxfilesperproc"] = "10240", ["kern.ipc.somaxconn"] = "128", ["kern.ipc.maxsockets"] = "49152", ["net.inet.ip.portrange.first"] = "49152", ["net.inet.ip.portrange.last"] = "65535" };
        var mac = new MacSystemAccess((file, args) =>
        {
            calls.Add($"{file} {string.Join(' ', args)}");
            return (file, args) switch
            {
                ("launchctl", ["limit", "maxfiles"]) => (0, "\tmaxfiles    256            unlimited\n", ""),
                ("sysctl", ["-n", var name]) when values.ContainsKey(name) => (0, values[name] + "\n", ""),
                ("sysctl", ["-w", var assignment]) => assignment.StartsWith("kern.ipc.somaxconn=", StringComparison.Ordinal) ? (0, "", "") : (1, "", "sysctl: unknown oid"),
                _ => (1, "", "unknown"),
            };
        });

        Assert.Equal("256 unlimited", mac.ReadSysctl(MacSystemAccess.LaunchctlMaxFiles));
        Assert.Equal("12288", mac.ReadSysctl("kern.maxfiles"));
        mac.WriteSysctl("kern.ipc.somaxconn", "1024");
        Assert.Contains("sysctl -w kern.ipc.somaxconn=1024", calls);
        var refused = Assert.Throws<TuningAccessException>(() => mac.WriteSysctl("kern.nope", "1"));
        Assert.NotEqual(TuningRefusal.Other, refused.Reason);

        var checks = TuningAdvisor.Check(mac, 20000, TuningRole.Client, 1, out NetpollTuningSummary summary);
        Assert.Equal(TuningStatus.Fail, checks.Single(c => c.Setting == "kern.maxfiles").Status);
        Assert.Equal(TuningStatus.Warn, checks.Single(c => c.Setting == MacSystemAccess.LaunchctlMaxFiles).Status);
        Assert.Equal(TuningStatus.Fail, summary.Status);
    }
}
