using System.Diagnostics;
using System.Management.Automation;
using System.Net.Sockets;

namespace Netpoll.PowerShell.Tests;

public class StatsCmdletTests
{
    [Fact]
    public void Stats_are_one_object_per_poller_that_pipe_into_Where_Object()
    {
        using var ps = new PowerShellSession();
        NetpollServer server = ps.Single<NetpollServer>("Start-NetpollServer -Name s1 -Pollers 2");
        using var client = new TcpClient("127.0.0.1", server.Port);
        client.GetStream().Write(new byte[100]);
        var echo = new byte[100];
        client.GetStream().ReadExactly(echo);

        var all = ps.Run("Get-NetpollStats -Name s1");
        Assert.Equal(2, all.Count);
        Assert.All(all, o => Assert.Equal("s1", ((NetpollPollerStats)o.BaseObject).ServerName));
        var busy = ps.Run("Get-NetpollStats -Name s1 | Where-Object Connections -gt 0");
        NetpollPollerStats poller = Assert.IsType<NetpollPollerStats>(Assert.Single(busy).BaseObject);
        Assert.Equal(100, poller.BytesIn);
        Assert.Equal(100, poller.BytesOut);
        Assert.Equal(1, poller.Accepted);
    }

    [Fact]
    public void Aggregate_gives_one_object_per_server_by_pipeline_and_a_first_sample_rates_since_the_server_started()
    {
        using var ps = new PowerShellSession();
        NetpollServer server = ps.Single<NetpollServer>("Start-NetpollServer -Name agg -Pollers 2");
        NetpollServerStats first = ps.Single<NetpollServerStats>("Get-NetpollServer -Name agg | Get-NetpollStats -Aggregate");
        Assert.Equal(2, first.Pollers);
        Assert.Equal(0, first.BytesInPerSecond);

        using (var client = new TcpClient("127.0.0.1", server.Port))
        {
            client.GetStream().Write(new byte[50_000]);
            var echo = new byte[50_000];
            client.GetStream().ReadExactly(echo);
        }

        NetpollServerStats second = ps.Single<NetpollServerStats>("Get-NetpollStats -Name agg -Aggregate");
        Assert.Equal(50_000, second.BytesIn);
        Assert.True(second.Interval > TimeSpan.Zero);
        Assert.True(second.BytesInPerSecond > 0);
        Assert.Equal(1, second.Accepted);
    }

    [Fact]
    public void Interval_and_Count_stream_that_many_samples()
    {
        using var ps = new PowerShellSession();
        ps.Run("Start-NetpollServer -Name stream -Pollers 1");
        var clock = Stopwatch.StartNew();
        var samples = ps.Run("Get-NetpollStats -Name stream -Interval 0.1 -Count 3");
        Assert.Equal(3, samples.Count);
        Assert.InRange(clock.ElapsedMilliseconds, 150, 10_000);
    }

    [Fact]
    public void Streaming_without_Count_runs_until_stopped_like_Ctrl_C()
    {
        using var ps = new PowerShellSession();
        ps.Run("Start-NetpollServer -Name live -Pollers 1");
        using System.Management.Automation.PowerShell pipeline = ps.Create("Get-NetpollStats -Name live -Interval 0.05");
        var output = new PSDataCollection<PSObject>();
        IAsyncResult running = pipeline.BeginInvoke<PSObject, PSObject>(null, output);
        Eventually.Until(() => output.Count >= 3, "three samples stream while running");
        var clock = Stopwatch.StartNew();
        pipeline.Stop(); // what Ctrl+C does
        Assert.True(running.IsCompleted || running.AsyncWaitHandle.WaitOne(5000));
        Assert.True(clock.ElapsedMilliseconds < 5000);
        Assert.Equal(PSInvocationState.Stopped, pipeline.InvocationStateInfo.State);
    }

    [Fact]
    public void Count_above_one_without_Interval_is_a_clear_error()
    {
        using var ps = new PowerShellSession();
        ps.Run("Start-NetpollServer -Name x");
        ErrorRecord error = ps.SingleError("Get-NetpollStats -Count 3");
        Assert.Contains("-Interval", error.Exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Stats_objects_sort_and_measure_as_raw_numbers()
    {
        using var ps = new PowerShellSession();
        ps.Run("Start-NetpollServer -Name m -Pollers 3");
        var sum = ps.Run("(Get-NetpollStats -Name m | ForEach-Object { $_.BytesIn + 1 } | ForEach-Object -Begin { $t = 0 } -Process { $t += $_ } -End { $t })");
        Assert.Equal(3L, Convert.ToInt64(Assert.Single(sum).BaseObject, System.Globalization.CultureInfo.InvariantCulture));
    }
}
