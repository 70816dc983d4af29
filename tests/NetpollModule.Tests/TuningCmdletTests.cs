using System.Management.Automation;
using Netpoll.PowerShell.Tuning;

namespace Netpoll.PowerShell.Tests;

/// <summary>The tuning cmdlets on a fake machine (so every path runs anywhere) through a real runspace.</summary>
public sealed class TuningCmdletTests : IDisposable
{
    private readonly string _state = Directory.CreateTempSubdirectory("netpoll-tuning-").FullName;
    private readonly FakeSystem _system = FakeSystem.LinuxLikeThisMachine();
    private readonly IDisposable _scope;

    public TuningCmdletTests()
    {
        Environment.SetEnvironmentVariable("NETPOLL_TUNING_STATE", _state);
        _scope = SystemAccess.Use(_system);
    }

    public void Dispose()
    {
        _scope.Dispose();
        Environment.SetEnvironmentVariable("NETPOLL_TUNING_STATE", null);
        Directory.Delete(_state, recursive: true);
    }

    [Fact]
    public void Get_lists_every_setting_with_its_value_and_source_and_filters_by_wildcard()
    {
        using var ps = new PowerShellSession();
        var all = ps.Run("Get-NetpollTuning").Select(o => (NetpollTuningValue)o.BaseObject).ToList();
        Assert.Equal(TuningSettings.For(TuningPlatform.Linux).Count, all.Count);
        Assert.Equal("4096", all.Single(v => v.Setting == "net.core.somaxconn").Value);
        Assert.Equal("20000", all.Single(v => v.Setting == TuningSettings.NoFileHard).Value);
        Assert.All(all, v => Assert.False(string.IsNullOrEmpty(v.Source)));
        Assert.All(ps.Run("Get-NetpollTuning -Setting net.ipv4.tcp_*"), o => Assert.StartsWith("net.ipv4.tcp_", ((NetpollTuningValue)o.BaseObject).Setting, StringComparison.Ordinal));
    }

    [Fact]
    public void Test_emits_one_check_per_setting_Summary_the_verdict_and_Quiet_a_bool()
    {
        using var ps = new PowerShellSession();
        var output = ps.Run("Test-NetpollTuning -Connections 19000 -Role InProcess");
        Assert.All(output, o => Assert.IsType<NetpollTuningCheck>(o.BaseObject));
        NetpollTuningSummary summary = ps.Single<NetpollTuningSummary>("Test-NetpollTuning -Connections 19000 -Role InProcess -Summary");
        Assert.Equal(TuningStatus.Fail, summary.Status);
        Assert.Equal(TuningSettings.NoFileHard, summary.BindingConstraint);
        Assert.False((bool)ps.Run("Test-NetpollTuning -Connections 19000 -Role InProcess -Quiet").Single().BaseObject);
        Assert.True((bool)ps.Run("Test-NetpollTuning -Connections 5000 -Quiet").Single().BaseObject);
        var failing = ps.Run("Test-NetpollTuning -Connections 19000 -Role InProcess | Where-Object Status -eq Fail | ForEach-Object Setting");
        Assert.Contains(TuningSettings.NoFileHard, failing.Select(o => (string)o.BaseObject));
    }

    [Fact]
    public void Set_snapshots_then_raises_and_Restore_puts_every_value_back()
    {
        using var ps = new PowerShellSession();
        _system.Soft = 1024;
        string before = _system.ToString();
        var changes = ps.Run("Set-NetpollTuning -Connections 40000 -Role Client -Scope Runtime -Confirm:$false").Select(o => (NetpollTuningChange)o.BaseObject).ToList();

        Assert.Equal("5000", _system.Sysctls["net.core.somaxconn"]);
        Assert.Equal("16999 60999", _system.Sysctls["net.ipv4.ip_local_port_range"]); // 44,001 ports: what 40,000 need, and no more
        Assert.Equal(20000, _system.Soft); // raised to the hard limit, which cannot move
        NetpollTuningChange hard = changes.Single(c => c.Setting == TuningSettings.NoFileHard);
        Assert.Equal(TuningChangeStatus.Skipped, hard.Status);
        Assert.Contains("CAP_SYS_RESOURCE", hard.Reason, StringComparison.Ordinal);
        string snapshot = changes.First(c => c.Status == TuningChangeStatus.Changed).Snapshot!;
        Assert.True(File.Exists(snapshot));

        var restored = ps.Run("Restore-NetpollTuning -Latest -Confirm:$false").Select(o => (NetpollTuningChange)o.BaseObject).ToList();
        Assert.All(restored, c => Assert.Equal(TuningChangeStatus.Restored, c.Status));
        Assert.Equal(before, _system.ToString());
    }

    [Fact]
    public void WhatIf_prints_the_diff_and_changes_nothing()
    {
        using var ps = new PowerShellSession();
        string before = _system.ToString();
        Assert.Empty(ps.Run("Set-NetpollTuning -Connections 40000 -Role Client -WhatIf"));
        Assert.Equal(before, _system.ToString());
        Assert.Empty(Directory.GetFiles(_state));
    }

    [Fact]
    public void Values_are_never_lowered_unless_Force()
    {
        using var ps = new PowerShellSession();
        _system.Sysctls["net.core.somaxconn"] = "65535";
        ps.Run("Set-NetpollTuning -Profile C10K -Confirm:$false");
        Assert.Equal("65535", _system.Sysctls["net.core.somaxconn"]);
        ps.Run("Set-NetpollTuning -Profile C10K -Force -Confirm:$false");
        Assert.Equal("4096", _system.Sysctls["net.core.somaxconn"]);
    }

    [Fact]
    public void Refusals_are_reported_per_setting_with_the_reason_and_the_rest_still_applies()
    {
        using var ps = new PowerShellSession();
        _system.Refuse["net.core.somaxconn"] = TuningRefusal.ReadOnly;
        _system.Refuse["net.ipv4.tcp_max_syn_backlog"] = TuningRefusal.NotRoot;
        var changes = ps.Run("Set-NetpollTuning -Connections 40000 -Confirm:$false").Select(o => (NetpollTuningChange)o.BaseObject).ToList();
        Assert.StartsWith("ReadOnly:", changes.Single(c => c.Setting == "net.core.somaxconn").Reason, StringComparison.Ordinal);
        Assert.StartsWith("NotRoot:", changes.Single(c => c.Setting == "net.ipv4.tcp_max_syn_backlog").Reason, StringComparison.Ordinal);
        Assert.Equal(2, changes.Count(c => c.Status == TuningChangeStatus.Failed));
        Assert.Equal("4096", _system.Sysctls["net.core.somaxconn"]);
        Assert.DoesNotContain(changes, c => c.Setting == "net.ipv4.tcp_max_tw_buckets"); // 131072 already covers 40000: Test passes it, so Set leaves it
    }

    [Fact]
    public void Persistent_scope_writes_drop_ins_that_Restore_removes()
    {
        using var ps = new PowerShellSession();
        ps.Run("Set-NetpollTuning -Connections 40000 -Scope Persistent -Confirm:$false");
        Assert.Contains("net.core.somaxconn = 5000", _system.Files[TuningApplier.LinuxSysctlDropIn], StringComparison.Ordinal);
        Assert.Contains("hard nofile 40256", _system.Files[TuningApplier.LinuxLimitsDropIn], StringComparison.Ordinal);
        ps.Run("Restore-NetpollTuning -Latest -Confirm:$false");
        Assert.Empty(_system.Files);
    }

    [Fact]
    public void Restore_with_no_snapshot_is_a_clear_error()
    {
        using var ps = new PowerShellSession();
        ErrorRecord error = ps.SingleError("Restore-NetpollTuning -Latest -Confirm:$false");
        Assert.StartsWith("NetpollTuningSnapshotNotFound,", error.FullyQualifiedErrorId, StringComparison.Ordinal);
    }
}
