namespace Netpoll.PowerShell.Tests;

/// <summary>
/// about_Netpoll explains telemetry. (The telemetry cmdlets' MAML is held to the common bar by HelpTests,
/// which covers every command the manifest exports.)
/// </summary>
public class TelemetryHelpTests
{
    [Fact]
    public void About_Netpoll_explains_telemetry_and_dotnet_counters()
    {
        using var ps = new PowerShellSession();
        string text = string.Join("\n", ps.Run("Get-Help about_Netpoll | ForEach-Object { $_.ToString() }").Select(o => o.ToString()));
        Assert.Contains("Enable-NetpollTelemetry", text, StringComparison.Ordinal);
        Assert.Contains("dotnet-counters monitor --counters Netpoll", text, StringComparison.Ordinal);
        Assert.Contains("Netpoll-Engine", text, StringComparison.Ordinal);
    }
}
