using System.Net.Sockets;
using Netpoll.Telemetry;

namespace Netpoll.PowerShell.Tests;

/// <summary>Engine events reach Microsoft.Extensions.Logging's console formatter at the chosen level, and only at it.</summary>
public class TelemetryLoggingTests
{
    private const string Timestamp = @"\d\d:\d\d:\d\d\.\d{3} ";

    [Fact]
    public void LogLevel_Information_logs_a_server_starting_and_stopping_on_one_line_each()
    {
        using var ps = new PowerShellSession();
        using var capture = new TelemetryLogCapture();
        ps.Run("Enable-NetpollTelemetry -LogLevel Information");
        NetpollServer server = ps.Single<NetpollServer>("Start-NetpollServer -Name log-info -Pollers 2");
        ps.Run("Stop-NetpollServer -Name log-info");
        ps.Run("Disable-NetpollTelemetry");

        Assert.Empty(ps.Errors);
        string[] lines = capture.Text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Collection(
            lines,
            started => Assert.Matches($@"^{Timestamp}info: Netpoll\.Engine\[1\] Server log-info started on 127\.0\.0\.1:{server.Port} with 2 pollers$", started),
            stopped => Assert.Matches($@"^{Timestamp}info: Netpoll\.Engine\[2\] Server log-info stopped after \d+ ms of shutdown; 0 connections were reset at the deadline$", stopped));
    }

    [Fact]
    public void Start_NetpollServer_LogLevel_Debug_logs_an_idle_timeout_with_the_connection_and_the_limit()
    {
        using var ps = new PowerShellSession();
        using var capture = new TelemetryLogCapture();
        NetpollServer server = ps.Single<NetpollServer>("Start-NetpollServer -Name log-idle -IdleTimeout 0.2 -LogLevel Debug");
        using (var client = new TcpClient())
        {
            client.Connect("127.0.0.1", server.Port);
            client.ReceiveTimeout = 10_000;
            Assert.Equal(0, client.GetStream().Read(new byte[1])); // the server closed it: idle
        }

        string line = capture.WaitForLine(@"^.*\[7\].*$", TimeSpan.FromSeconds(10));
        Assert.Matches($@"^{Timestamp}dbug: Netpoll\.Engine\[7\] log-idle: connection \d+ idle timeout fired after 200 ms$", line);
        Assert.Equal(NetpollLogLevel.Debug, ProcessTelemetry.Status.LogLevel);
    }

    [Fact]
    public void LogLevel_Information_leaves_out_the_per_connection_debug_events()
    {
        using var ps = new PowerShellSession();
        using var capture = new TelemetryLogCapture();
        NetpollServer server = ps.Single<NetpollServer>("Start-NetpollServer -Name log-quiet -IdleTimeout 0.2 -LogLevel Information");
        using (var client = new TcpClient())
        {
            client.Connect("127.0.0.1", server.Port);
            client.ReceiveTimeout = 10_000;
            Assert.Equal(0, client.GetStream().Read(new byte[1]));
        }

        Assert.Equal(1, server.Loop.GetStats().Sum(s => s.Timeouts)); // the event happened; only its log line is left out
        ps.Run("Stop-NetpollServer -Name log-quiet");
        ps.Run("Disable-NetpollTelemetry");

        string text = capture.Text;
        Assert.Contains("Server log-quiet stopped", text, StringComparison.Ordinal);
        Assert.DoesNotContain("dbug:", text, StringComparison.Ordinal);
        Assert.DoesNotContain("timeout fired", text, StringComparison.Ordinal);
    }
}
