using System.Management.Automation;
using Netpoll.Load;

namespace Netpoll.PowerShell.Tests;

public class LoadCmdletTests
{
    [Fact]
    public void A_server_piped_into_Invoke_NetpollLoad_is_loaded_with_progress_and_one_result()
    {
        using var ps = new PowerShellSession();
        LoadResult result = ps.Single<LoadResult>(
            "Start-NetpollServer -Name load1 | Invoke-NetpollLoad -Connections 10 -Requests 2000 -MessageSize 256");
        Assert.Equal(2000, result.Requests);
        Assert.Equal(0, result.Errors);
        Assert.Equal("Requests", result.StopReason);
        Assert.False(result.Isolated);
        Assert.True(result.LatencyP99 >= result.LatencyP50);
        Assert.NotEmpty(ps.Progress);
        Assert.Equal(ProgressRecordType.Completed, ps.Progress[^1].RecordType);

        NetpollServerStats stats = ps.Single<NetpollServerStats>("Get-NetpollStats -Name load1 -Aggregate");
        Assert.Equal(result.BytesSent, stats.BytesIn);
    }

    [Fact]
    public void Isolated_runs_the_generator_in_another_process_and_returns_the_same_shape()
    {
        using var ps = new PowerShellSession();
        NetpollServer server = ps.Single<NetpollServer>("Start-NetpollServer -Name iso -Protocol Http");
        LoadResult result = ps.Single<LoadResult>(
            $"Invoke-NetpollLoad -Target 127.0.0.1:{server.Port} -Connections 8 -Requests 1000 -Pattern Http -Isolated");
        Assert.True(result.Isolated);
        Assert.Equal(1000, result.Requests);
        Assert.Equal(LoadPattern.Http, result.Pattern);
        Assert.Equal(8, result.ConnectionsOpened);
        Assert.Equal(8, ps.Single<NetpollServerStats>("Get-NetpollStats -Name iso -Aggregate").Accepted);
    }

    [Fact]
    public void A_bad_target_is_a_clear_error_with_id_NetpollInvalidTarget()
    {
        using var ps = new PowerShellSession();
        ErrorRecord error = ps.SingleError("Invoke-NetpollLoad -Target 'not a target' -Requests 1");
        Assert.StartsWith("NetpollInvalidTarget,", error.FullyQualifiedErrorId, StringComparison.Ordinal);
        Assert.Contains("host:port", error.Exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Duration_takes_seconds_or_a_TimeSpan()
    {
        using var ps = new PowerShellSession();
        NetpollServer server = ps.Single<NetpollServer>("Start-NetpollServer -Name dur");
        LoadResult seconds = ps.Single<LoadResult>($"Invoke-NetpollLoad -Target 127.0.0.1:{server.Port} -Connections 2 -Duration 0.5");
        Assert.Equal("Duration", seconds.StopReason);
        Assert.InRange(seconds.Elapsed.TotalSeconds, 0.4, 5);
        LoadResult span = ps.Single<LoadResult>($"Invoke-NetpollLoad -Target 127.0.0.1:{server.Port} -Connections 2 -Duration '00:00:00.5'");
        Assert.InRange(span.Elapsed.TotalSeconds, 0.4, 5);
    }
}
