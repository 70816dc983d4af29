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

    [Fact]
    public void Ctrl_C_while_waiting_for_StartAt_sends_no_request()
    {
        using var ps = new PowerShellSession();
        NetpollServer server = ps.Single<NetpollServer>("$server = Start-NetpollServer -Name ctrl-c-start-at; $server");
        using System.Management.Automation.PowerShell pipeline = ps.Create("$server | Invoke-NetpollLoad -Connections 2 -Duration 5 -StartAt ([DateTime]::UtcNow.AddSeconds(30)) -OutVariable measured");
        IAsyncResult running = pipeline.BeginInvoke();
        Eventually.Until(() => server.Connections == 2, "the connections open for the start"); // read here: the runspace is busy with the load

        pipeline.Stop(); // what Ctrl+C does
        Assert.True(running.IsCompleted || running.AsyncWaitHandle.WaitOne(10_000), "the load stops promptly on Ctrl+C");

        LoadResult result = ps.Single<LoadResult>("$measured[0]");
        Assert.Equal("Canceled", result.StopReason);
        Assert.Equal(2, result.ConnectionsOpened);
        Assert.Equal(0, result.BytesSent); // the requests held for the start stay unsent: before, they went out as the run stopped
        Assert.Equal(0, result.Requests);
    }

    [Fact]
    public void The_Ctrl_C_warning_counts_in_words_that_fit_the_number()
    {
        LoadResult one = Result(requests: 1, elapsed: TimeSpan.FromSeconds(2));
        Assert.Equal("Stopped after 2.0 s with 1 request measured against 127.0.0.1:7000; the result is in $r.", LoadResultDelivery.StoppedNote(one, "$r"));
        Assert.Contains("with 1,500 requests measured", LoadResultDelivery.StoppedNote(Result(requests: 1500, elapsed: TimeSpan.FromSeconds(2)), "$r"), StringComparison.Ordinal);

        string early = LoadResultDelivery.StoppedNote(Result(requests: 0, elapsed: TimeSpan.Zero), "$r");
        Assert.StartsWith("Stopped before requests began against 127.0.0.1:7000 (at ", early, StringComparison.Ordinal);
        Assert.EndsWith("); nothing was sent. The result is in $r.", early, StringComparison.Ordinal);
    }

    private static LoadResult Result(long requests, TimeSpan elapsed) =>
        Netpoll.Load.Tests.BlankResult.Of("127.0.0.1:7000") with { ConnectionsOpened = 1, Requests = requests, Elapsed = elapsed, StopReason = "Canceled" };
}
