using System.Text.Json;
using Netpoll.Host.Tests.Support;

namespace Netpoll.Host.Tests;

/// <summary>scripts/Invoke-ConnectionTest.ps1, shortened (a few thousand connections, seconds long), end to end through netpoll-host.</summary>
public class ConnectionTestScriptTests
{
    [Fact]
    public void A_short_connection_test_preflights_tunes_runs_reports_and_puts_the_machine_back()
    {
        string root = RepositoryPaths.Root();
        string output = Directory.CreateTempSubdirectory("netpoll-conntest-").FullName;
        string portRange = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range");
        try
        {
            HostResult result = HostProcess.Run(
                ["-File", Path.Combine(root, "scripts", "Invoke-ConnectionTest.ps1"), "-Connections", "2000", "-Duration", "3", "-OutputPath", output],
                environment: new Dictionary<string, string?> { ["NETPOLL_TUNING_STATE"] = Path.Combine(output, "state") },
                withDefaultModule: true);
            Assert.True(result.ExitCode == 0, result.ToString());

            foreach (string file in new[] { "samples.csv", "pollers.csv", "summary.json", "report.html" })
            {
                Assert.True(File.Exists(Path.Combine(output, file)), $"{file} missing\n{result}");
            }

            using JsonDocument summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "summary.json")));
            Assert.Equal(2000, summary.RootElement.GetProperty("PeakServerConnections").GetInt32());
            Assert.Equal(0, summary.RootElement.GetProperty("Load").GetProperty("Errors").GetInt64());
            Assert.True(summary.RootElement.GetProperty("Load").GetProperty("Requests").GetInt64() > 0);
            Assert.True(summary.RootElement.GetProperty("ServerBytesPerConnection").GetInt64() > 0);
            string html = File.ReadAllText(Path.Combine(output, "report.html"));
            Assert.Contains("<svg", html, StringComparison.Ordinal);
            Assert.Contains("Per-poller load", html, StringComparison.Ordinal);
            Assert.Equal(File.ReadAllLines(Path.Combine(output, "samples.csv")).Length - 1, CountSamples(output));
        }
        finally
        {
            // Whatever happened, the machine is as it was.
            Assert.Equal(portRange, File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range"));
            Directory.Delete(output, recursive: true);
        }
    }

    private static int CountSamples(string output) =>
        File.ReadAllLines(Path.Combine(output, "samples.csv")).Skip(1).Count(line => line.Length > 0);
}
