namespace Netpoll.PowerShell.Tests;

/// <summary>
/// Build outputs the telemetry tests load beside the module: the test-only modules under tests/TestModules,
/// from this test run's configuration, and the module's staged telemetry folder.
/// </summary>
internal static class TelemetryTestArtifacts
{
    /// <summary>artifacts/bin/&lt;project&gt;/&lt;configuration&gt;/, found from this test assembly's own folder.</summary>
    private static readonly DirectoryInfo ThisOutput = new(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));

    public static string OtherLoggingModule => Find("OtherLogging", "Netpoll.TestModules.OtherLogging.dll");

    public static string MeterProbeModule => Find("MeterProbe", "Netpoll.TestModules.MeterProbe.dll");

    public static string StagedTelemetryFolder => Path.Combine(RepositoryRoot.Path, "artifacts", "module", "telemetry");

    private static string Find(string project, string file)
    {
        string path = Path.Combine(ThisOutput.Parent!.Parent!.FullName, project, ThisOutput.Name, file);
        return File.Exists(path)
            ? path
            : throw new FileNotFoundException($"{path} is missing: build the solution (dotnet build Netpoll.slnx) before these tests.", path);
    }
}
