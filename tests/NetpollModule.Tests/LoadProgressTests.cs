using System.Management.Automation;
using Netpoll.Load;

namespace Netpoll.PowerShell.Tests;

/// <summary>
/// Invoke-NetpollLoad's progress records, which only a host sees (pwsh draws them and cannot redirect them).
/// The load's results are asserted by the Pester suites (tests/Pester/Load*.Tests.ps1).
/// </summary>
public class LoadProgressTests
{
    [Fact]
    public void Every_piped_server_gets_a_progress_bar_that_updates_and_completes()
    {
        using var ps = new PowerShellSession();
        NetpollServer first = ps.Single<NetpollServer>("Start-NetpollServer -Name progress-1 -Port 0");
        NetpollServer second = ps.Single<NetpollServer>("Start-NetpollServer -Name progress-2 -Port 0");

        var results = ps.Run("Get-NetpollServer -Name progress-1, progress-2 | Invoke-NetpollLoad -Connections 2 -Duration 1.5");

        Assert.Equal(2, results.Count);
        Assert.All(results, r => Assert.True(((LoadResult)r.BaseObject).Requests > 0));
        foreach (NetpollServer server in new[] { first, second })
        {
            List<ProgressRecord> bar = [.. ps.Progress.Where(p => p.Activity.EndsWith(server.EndPoint, StringComparison.Ordinal))];
            Assert.Contains(bar, p => p.RecordType == ProgressRecordType.Processing && p.StatusDescription.Contains("requests", StringComparison.Ordinal));
            Assert.Equal(ProgressRecordType.Completed, bar[^1].RecordType);
        }
    }
}
