using Netpoll.Host.Tests.Support;

namespace Netpoll.Host.Tests;

/// <summary>scripts/Demo.ps1, run the way a newcomer's machine without pwsh runs it: through netpoll-host.</summary>
public class DemoScriptTests
{
    [Fact]
    public void The_demo_starts_loads_shows_stats_and_stops_a_server_through_the_host()
    {
        string demo = Path.Combine(RepositoryRoot(), "scripts", "Demo.ps1");
        HostResult result = HostProcess.Run(["-File", demo, "-Connections", "50", "-Duration", "1"], withDefaultModule: true);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("Per-poller stats:", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("Busy%", result.Stdout, StringComparison.Ordinal);          // the module's stats view
        Assert.Contains("Latency     : p50", result.Stdout, StringComparison.Ordinal); // the module's load result view
        Assert.Contains("Errors      : 0", result.Stdout, StringComparison.Ordinal);
        Assert.Matches(@"Stopped 'demo-\d+'\.", result.Stdout);
    }

    private static string RepositoryRoot()
    {
        for (string? dir = AppContext.BaseDirectory; dir is not null; dir = Path.GetDirectoryName(dir))
        {
            if (File.Exists(Path.Combine(dir, "Netpoll.psd1")))
            {
                return dir;
            }
        }

        throw new DirectoryNotFoundException("The repository root (with Netpoll.psd1) is not above the test directory.");
    }
}
