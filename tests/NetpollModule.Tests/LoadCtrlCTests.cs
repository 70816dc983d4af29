using System.Management.Automation;
using Netpoll.Load;

namespace Netpoll.PowerShell.Tests;

/// <summary>
/// Ctrl+C during Invoke-NetpollLoad, as pwsh delivers it (PowerShell.Stop() on the running pipeline).
/// Once a pipeline is stopping PowerShell refuses every write, so the measured result reaches the user
/// through -OutVariable and $NetpollLastLoadResult, and a warning says so.
/// </summary>
public class LoadCtrlCTests
{
    [Fact]
    public void Ctrl_C_stops_the_load_and_the_measured_result_is_in_OutVariable_and_NetpollLastLoadResult()
    {
        using var ps = new PowerShellSession();
        ps.Run("$server = Start-NetpollServer -Name ctrl-c");
        using System.Management.Automation.PowerShell pipeline = ps.Create("$server | Invoke-NetpollLoad -Connections 4 -Duration 120 -OutVariable measured");
        var output = new PSDataCollection<PSObject>();
        IAsyncResult running = pipeline.BeginInvoke<PSObject, PSObject>(null, output);
        Eventually.Until(() => pipeline.Streams.Progress.Any(p => p.StatusDescription.Contains("requests", StringComparison.Ordinal) && !p.StatusDescription.Contains(" 0 requests", StringComparison.Ordinal)), "the load reports completed requests");

        pipeline.Stop(); // what Ctrl+C does
        Assert.True(running.IsCompleted || running.AsyncWaitHandle.WaitOne(10_000), "the load stops promptly on Ctrl+C");
        Assert.Equal(PSInvocationState.Stopped, pipeline.InvocationStateInfo.State);
        Assert.Empty(output); // PowerShell accepts no output from a stopping pipeline

        LoadResult viaOutVariable = ps.Single<LoadResult>("$measured[0]");
        Assert.Equal("Canceled", viaOutVariable.StopReason);
        Assert.True(viaOutVariable.Requests > 0);
        Assert.NotNull(viaOutVariable.LatencyP99Ms);
        Assert.True(viaOutVariable.Elapsed < TimeSpan.FromSeconds(60));
        Assert.Same(viaOutVariable, ps.Single<LoadResult>("$NetpollLastLoadResult"));
    }

    [Fact]
    public void Without_OutVariable_Ctrl_C_leaves_the_result_in_NetpollLastLoadResult()
    {
        using var ps = new PowerShellSession();
        ps.Run("$server = Start-NetpollServer -Name ctrl-c-global");
        using System.Management.Automation.PowerShell pipeline = ps.Create("$r = $server | Invoke-NetpollLoad -Connections 2 -Duration 120");
        IAsyncResult running = pipeline.BeginInvoke();
        Eventually.Until(() => pipeline.Streams.Progress.Count(p => p.RecordType == ProgressRecordType.Processing) >= 2, "the load reports progress");
        pipeline.Stop();
        Assert.True(running.IsCompleted || running.AsyncWaitHandle.WaitOne(10_000), "the load stops promptly on Ctrl+C");

        Assert.True(ps.Single<bool>("$null -eq $r")); // the assignment is abandoned with the pipeline: PowerShell's rule, not ours
        LoadResult last = ps.Single<LoadResult>("$NetpollLastLoadResult");
        Assert.Equal("Canceled", last.StopReason);
        Assert.Equal(2, last.ConnectionsOpened);
    }
}
