using Netpoll.Host.Tests.Support;

namespace Netpoll.PowerShell.Tests;

/// <summary>
/// Runs a script in a fresh netpoll-host process, so each test starts with an empty default load context
/// (this test process already holds whatever earlier tests loaded). Bounded by <see cref="HostProcess"/>.
/// </summary>
internal static class TelemetryChildHost
{
    /// <summary>Runs <paramref name="script"/> with -NoDefaultModule; the script imports what it needs, in its own order.</summary>
    public static HostResult Run(string script, params string[] scriptArguments)
    {
        string file = Path.Combine(Path.GetTempPath(), $"netpoll-telemetry-{Guid.NewGuid():N}.ps1");
        File.WriteAllText(file, script);
        try
        {
            return HostProcess.Run(["-NonInteractive", "-File", file, .. scriptArguments], hostAssembly: TelemetryTestArtifacts.NetpollHost);
        }
        finally
        {
            File.Delete(file);
        }
    }
}
