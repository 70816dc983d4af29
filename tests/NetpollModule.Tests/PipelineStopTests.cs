using System.Diagnostics;
using System.Management.Automation;
using System.Net.Sockets;
using Netpoll.Server;

namespace Netpoll.PowerShell.Tests;

/// <summary>
/// What Ctrl+C does to a running cmdlet: the host stops the pipeline (StopProcessing). Only a host can do that
/// to a pipeline at a chosen moment, so these run in a hosted runspace; the user-session suites are in tests/Pester.
/// </summary>
public class PipelineStopTests
{
    [Fact]
    public void Start_NetpollServer_Wait_serves_until_stopped_and_then_stops_the_server()
    {
        using var ps = new PowerShellSession();
        using System.Management.Automation.PowerShell pipeline = ps.Create("Start-NetpollServer -Name waiting -Protocol Echo -Port 0 -Wait");
        var output = new PSDataCollection<PSObject>();
        IAsyncResult running = pipeline.BeginInvoke<PSObject, PSObject>(null, output);
        Eventually.Until(() => output.Count >= 1, "the server object is written");

        // Index, not enumerate: a PSDataCollection's enumerator blocks until the pipeline ends.
        Assert.True(output.Count == 1, $"one server object; got {output.Count}");
        NetpollServer server = Assert.IsType<NetpollServer>(output[0].BaseObject);
        Assert.False(running.IsCompleted, "-Wait keeps the command running while the server serves");
        using (var client = new TcpClient { ReceiveTimeout = 10_000 })
        {
            client.Connect("127.0.0.1", server.Port);
            client.GetStream().Write("hi"u8);
            var buffer = new byte[2];
            client.GetStream().ReadExactly(buffer);
        }

        IAsyncResult stopping = pipeline.BeginStop(null, null); // what Ctrl+C does
        Assert.True(stopping.AsyncWaitHandle.WaitOne(10_000), "Stop returned");
        Assert.True(running.IsCompleted || running.AsyncWaitHandle.WaitOne(10_000), "the command ended after Stop");
        Assert.Equal(EventLoopState.Stopped, server.State);
        Assert.Empty(ps.Run("Get-NetpollServer"));
    }

    [Fact]
    public void Get_NetpollStats_streaming_without_Count_runs_until_stopped()
    {
        using var ps = new PowerShellSession();
        ps.Run("Start-NetpollServer -Name live -Pollers 1 -Port 0");
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
    public void Invoke_NetpollLoad_stops_promptly()
    {
        using var ps = new PowerShellSession();
        ps.Run("Start-NetpollServer -Name long -Port 0");
        using System.Management.Automation.PowerShell pipeline = ps.Create("Get-NetpollServer -Name long | Invoke-NetpollLoad -Connections 4 -Duration 120");
        IAsyncResult running = pipeline.BeginInvoke();
        Thread.Sleep(500);
        pipeline.Stop();
        Assert.True(running.AsyncWaitHandle.WaitOne(10_000), "the load stops promptly on Ctrl+C");
    }
}
