using System.Management.Automation;
using Netpoll.PowerShell.Tuning;

namespace Netpoll.PowerShell.Tests;

/// <summary>Set- and Restore-NetpollTuning on this machine's real sysctls (CI runs as root), restored afterwards.</summary>
public sealed class RealTuningTests : IDisposable
{
    private readonly string _state = Directory.CreateTempSubdirectory("netpoll-real-tuning-").FullName;

    public RealTuningTests() => Environment.SetEnvironmentVariable("NETPOLL_TUNING_STATE", _state);

    public void Dispose()
    {
        Environment.SetEnvironmentVariable("NETPOLL_TUNING_STATE", null);
        Directory.Delete(_state, recursive: true);
    }

    [Fact]
    public void Set_raises_real_sysctls_and_Restore_puts_them_back()
    {
        Assert.True(OperatingSystem.IsLinux(), "this test reads /proc/sys");
        string somaxconn = File.ReadAllText("/proc/sys/net/core/somaxconn").Trim();
        string synBacklog = File.ReadAllText("/proc/sys/net/ipv4/tcp_max_syn_backlog").Trim();
        int target = int.Parse(somaxconn, System.Globalization.CultureInfo.InvariantCulture) + 1000; // surely above today's value
        using var ps = new PowerShellSession();
        try
        {
            var changes = ps.Run($"Set-NetpollTuning -Connections {target * 8} -Scope Runtime -Confirm:$false").Select(o => (NetpollTuningChange)o.BaseObject).ToList();
            NetpollTuningChange change = changes.Single(c => c.Setting == "net.core.somaxconn");
            if (Environment.UserName != "root")
            {
                Assert.Equal(TuningChangeStatus.Failed, change.Status);
                Assert.StartsWith("NotRoot:", change.Reason, StringComparison.Ordinal);
                return;
            }

            Assert.Equal(TuningChangeStatus.Changed, change.Status);
            Assert.Equal(target.ToString(System.Globalization.CultureInfo.InvariantCulture), File.ReadAllText("/proc/sys/net/core/somaxconn").Trim());

            // This process cannot raise its 20000 hard limit: reported, not hidden.
            if (TuningAdvisor.FdsNeeded(target * 8, TuningRole.Server) > 20000 && !SystemAccessHasCapability())
            {
                Assert.Contains("CAP_SYS_RESOURCE", changes.Single(c => c.Setting == TuningSettings.NoFileHard).Reason, StringComparison.Ordinal);
            }
        }
        finally
        {
            ps.Run("Restore-NetpollTuning -Latest -Confirm:$false");
        }

        Assert.Equal(somaxconn, File.ReadAllText("/proc/sys/net/core/somaxconn").Trim());
        Assert.Equal(synBacklog, File.ReadAllText("/proc/sys/net/ipv4/tcp_max_syn_backlog").Trim());
    }

    private static bool SystemAccessHasCapability() => SystemAccess.Current.CanRaiseHardLimit;
}
