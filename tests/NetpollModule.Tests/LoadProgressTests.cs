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

    [Fact]
    public void A_fixed_rate_bar_shows_the_schedule_and_its_lag_growing_when_the_server_cannot_keep_up()
    {
        using var ps = new PowerShellSession();
        NetpollServer web = ps.Single<NetpollServer>("Start-NetpollServer -Name progress-rate -Protocol Http -Port 0");

        // One connection cannot hold 100,000 requests a second: the schedule falls behind for the whole run.
        ps.Run($"Invoke-NetpollLoad -Uri http://{web.EndPoint}/ -Rate 100000 -Duration 1.5 -Connections 1");

        List<ProgressRecord> bar = [.. ps.Progress.Where(p => p.RecordType == ProgressRecordType.Processing && p.StatusDescription.Contains("lag", StringComparison.Ordinal))];
        Assert.True(bar.Count >= 2, $"{bar.Count} progress records with a lag");
        Assert.All(bar, p => Assert.Contains("schedule 100,000/s", p.StatusDescription, StringComparison.Ordinal));
        Assert.All(bar, p => Assert.StartsWith("lag ", p.StatusDescription, StringComparison.Ordinal)); // a narrow window cuts the end off
        Assert.Contains("at a fixed rate", bar[0].Activity, StringComparison.Ordinal);
        double Lag(ProgressRecord p) => double.Parse(System.Text.RegularExpressions.Regex.Match(p.StatusDescription, @"lag ([\d,]+) ms").Groups[1].Value.Replace(",", "", StringComparison.Ordinal), System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(Lag(bar[^1]) > Lag(bar[0]), $"the lag grows: {bar[0].StatusDescription} ... {bar[^1].StatusDescription}");
    }
}
