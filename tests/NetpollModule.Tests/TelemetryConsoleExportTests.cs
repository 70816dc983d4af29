using System.Text.RegularExpressions;
namespace Netpoll.PowerShell.Tests;

/// <summary>
/// In pwsh itself, metrics go through OpenTelemetry's periodic reader to one line per server per export,
/// and engine events through Microsoft.Extensions.Logging.Console, both to standard output.
/// </summary>
public class TelemetryConsoleExportTests
{
    private const string Script = """
        param([string] $Netpoll)
        $ErrorActionPreference = 'Stop'
        Import-Module $Netpoll
        Enable-NetpollTelemetry -MetricsExporter Console -Interval 0.5 -LogLevel Information
        $server = Start-NetpollServer -Name console-export -Pollers 1
        $client = [System.Net.Sockets.TcpClient]::new('127.0.0.1', $server.Port)
        $stream = $client.GetStream()
        $stream.ReadTimeout = 10000
        $stream.Write([byte[]]::new(100), 0, 100)
        $echoed = [byte[]]::new(100)
        $stream.ReadExactly($echoed, 0, 100)   # throws at end of stream or after 10 s, never spins
        $client.Dispose()
        # Several periodic exports while the server is up (two are asserted: margin for a loaded machine).
        [System.Threading.Thread]::Sleep(2000)
        Stop-NetpollServer -Name console-export
        Disable-NetpollTelemetry
        'DONE'
        """;

    [Fact]
    public void Console_exporter_and_console_logger_write_the_servers_metrics_and_events_to_standard_output()
    {
        ProcessResult run = PwshProcess.RunScript(Script, "-Netpoll", PowerShellSession.ManifestPath);

        Assert.True(run.ExitCode == 0, run.ToString());
        string stdout = run.Stdout.ReplaceLineEndings("\n");
        Assert.EndsWith("DONE\n", stdout, StringComparison.Ordinal);

        // One line per server per export, its pollers summed: connections, accepted, bytes each way, busy share.
        Assert.Matches(@"(?m)^\d\d:\d\d:\d\d netpoll console-export: \d+ connections \(0 paused\), 1 accepted[^;]*; in 100 B[^,]*, out 100 B", stdout);
        int exports = Regex.Matches(stdout, @"(?m)^\d\d:\d\d:\d\d netpoll console-export: ").Count;
        Assert.True(exports >= 2, $"expected periodic exports every 0.5 s, saw {exports}:\n{stdout}");

        // Microsoft.Extensions.Logging.Console's simple formatter, one line per event, no colour when redirected.
        Assert.Matches(@"(?m)^\d\d:\d\d:\d\d\.\d{3} info: Netpoll\.Engine\[1\] Server console-export started on 127\.0\.0\.1:\d+ with 1 pollers$", stdout);
        Assert.Matches(@"(?m)^\d\d:\d\d:\d\d\.\d{3} info: Netpoll\.Engine\[2\] Server console-export stopped after \d+ ms", stdout);
        Assert.DoesNotContain("\u001b[", stdout, StringComparison.Ordinal);
    }
}
