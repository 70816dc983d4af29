namespace Netpoll.PowerShell.Tests;

/// <summary>
/// Build outputs the telemetry tests run beside the module: netpoll-host (a clean process per test) and
/// the test-only modules under tests/TestModules, all from this test run's configuration.
/// </summary>
internal static class TelemetryTestArtifacts
{
    /// <summary>artifacts/bin/&lt;project&gt;/&lt;configuration&gt;/, found from this test assembly's own folder.</summary>
    private static readonly DirectoryInfo ThisOutput = new(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));

    public static string NetpollHost => Find("NetpollHost", "netpoll-host.dll");

    public static string OtherLoggingModule => Find("OtherLogging", "Netpoll.TestModules.OtherLogging.dll");

    public static string MeterProbeModule => Find("MeterProbe", "Netpoll.TestModules.MeterProbe.dll");

    public static string StagedTelemetryFolder => Path.Combine(Path.GetDirectoryName(PowerShellSession.ManifestPath)!, "artifacts", "module", "telemetry");

    private static string Find(string project, string file)
    {
        string path = Path.Combine(ThisOutput.Parent!.Parent!.FullName, project, ThisOutput.Name, file);
        return File.Exists(path)
            ? path
            : throw new FileNotFoundException($"{path} is missing: build the solution (dotnet build Netpoll.slnx) before these tests.", path);
    }
}
