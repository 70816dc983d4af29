using System.Management.Automation;
using Netpoll.Load;

namespace Netpoll.PowerShell.Tests;

/// <summary>
/// Invoke-NetpollLoad's progress records, which only a host sees (pwsh draws them and cannot redirect them).
/// The load's results are asserted by the Pester suites (tests/Pester/Load.Tests.ps1).
/// </summary>
public class LoadProgressTests
{
    [Fact]
    public void A_load_writes_progress_while_it_runs_and_completes_it_at_the_end()
    {
        using var ps = new PowerShellSession();
        LoadResult result = ps.Single<LoadResult>(
            "Start-NetpollServer -Name load1 -Port 0 | Invoke-NetpollLoad -Connections 10 -Requests 2000 -MessageSize 256");
        Assert.Equal(2000, result.Requests);
        Assert.NotEmpty(ps.Progress);
        Assert.Equal(ProgressRecordType.Completed, ps.Progress[^1].RecordType);
    }
}
