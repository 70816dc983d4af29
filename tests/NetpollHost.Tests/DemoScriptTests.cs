using Netpoll.Host.Tests.Support;

namespace Netpoll.Host.Tests;

/// <summary>scripts/Demo.ps1, run the way a newcomer's machine without pwsh runs it: through netpoll-host.</summary>
public class DemoScriptTests
{
    [Fact]
    public void The_demo_starts_loads_shows_stats_and_stops_a_server_through_the_host()
    {
        string demo = Path.Combine(RepositoryPaths.Root(), "scripts", "Demo.ps1");
        HostResult result = HostProcess.Run(["-File", demo, "-Connections", "50", "-Duration", "1"], withDefaultModule: true);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("Per-poller stats:", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("Busy%", result.Stdout, StringComparison.Ordinal);          // the module's stats view
        Assert.Contains("Latency     : p50", result.Stdout, StringComparison.Ordinal); // the module's load result view
        Assert.Contains("Errors      : 0", result.Stdout, StringComparison.Ordinal);
        Assert.Matches(@"Stopped 'demo-\d+'\.", result.Stdout);
    }
}
