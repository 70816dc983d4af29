namespace Netpoll.PowerShell.Tests;

/// <summary>
/// Netpoll's OpenTelemetry and Microsoft.Extensions.* stay in their own load context beside a module that
/// loaded Microsoft.Extensions.Logging 8.0 into the default one, whichever module comes first. Each order
/// runs in a fresh pwsh process: a default load context cannot be emptied again.
/// </summary>
public class TelemetryIsolationTests
{
    /// <summary>The four assemblies other modules most often bring at other versions.</summary>
    private static readonly string[] SharedNames =
    [
        "Microsoft.Extensions.Logging",
        "Microsoft.Extensions.Logging.Abstractions",
        "Microsoft.Extensions.DependencyInjection.Abstractions",
        "Microsoft.Extensions.Options",
    ];

    private const string Report = """
        foreach ($assembly in [AppDomain]::CurrentDomain.GetAssemblies()) {
            $name = $assembly.GetName()
            if ($name.Name -like 'Microsoft.Extensions.*' -or $name.Name -like 'OpenTelemetry*') {
                'LOADED {0} {1} {2}' -f $name.Name, $name.Version, [System.Runtime.Loader.AssemblyLoadContext]::GetLoadContext($assembly).Name
            }
        }
        """;

    private const string OtherModuleFirst = """
        param([string] $Other, [string] $Netpoll, [string] $NetpollAbstractions)
        $ErrorActionPreference = 'Stop'
        Import-Module $Other
        $before = Write-OtherLog 'before Netpoll'
        # Control: here the default context can no longer take Netpoll's Microsoft.Extensions.Logging.Abstractions.
        try { $null = [System.Runtime.Loader.AssemblyLoadContext]::Default.LoadFromAssemblyPath($NetpollAbstractions); 'CONTROL loaded' }
        catch { 'CONTROL conflict: ' + $_.Exception.InnerException.Message }
        Import-Module $Netpoll
        Enable-NetpollTelemetry -LogLevel Information -MetricsExporter Console -Interval 60
        $null = Start-NetpollServer -Name order-other-first
        $after = Write-OtherLog 'after Netpoll'
        Disable-NetpollTelemetry # its last export prints the running server's line
        Stop-NetpollServer -Name order-other-first
        'OTHER {0} | {1} | {2}' -f $before.Line, $before.AbstractionsVersion, $before.LoadContext
        'OTHER {0} | {1} | {2}' -f $after.Line, $after.AbstractionsVersion, $after.LoadContext
        """;

    private const string NetpollFirst = """
        param([string] $Other, [string] $Netpoll)
        $ErrorActionPreference = 'Stop'
        Import-Module $Netpoll
        Enable-NetpollTelemetry -LogLevel Information -MetricsExporter Console -Interval 60
        $null = Start-NetpollServer -Name order-netpoll-first
        Stop-NetpollServer -Name order-netpoll-first
        Import-Module $Other
        $otherLog = Write-OtherLog 'after Netpoll' # not $other: that is the [string] -Other parameter
        $null = Start-NetpollServer -Name order-netpoll-first-again
        Stop-NetpollServer -Name order-netpoll-first-again
        Disable-NetpollTelemetry
        'OTHER {0} | {1} | {2}' -f $otherLog.Line, $otherLog.AbstractionsVersion, $otherLog.LoadContext
        """;

    [Fact]
    public void Another_module_with_Microsoft_Extensions_Logging_8_first_then_Netpoll_both_log()
    {
        string netpollAbstractions = Path.Combine(TelemetryTestArtifacts.StagedTelemetryFolder, "Microsoft.Extensions.Logging.Abstractions.dll");
        ProcessResult run = PwshProcess.RunScript(
            OtherModuleFirst + "\n" + Report,
            "-Other", TelemetryTestArtifacts.OtherLoggingModule, "-Netpoll", PowerShellSession.ManifestPath, "-NetpollAbstractions", netpollAbstractions);
        string stdout = run.Stdout.ReplaceLineEndings("\n");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("CONTROL conflict: Could not load file or assembly 'Microsoft.Extensions.Logging.Abstractions, Version=10.0.0.0", stdout, StringComparison.Ordinal);
        Assert.Contains("OTHER Information: other module says before Netpoll | 8.0.0.0 | Default\n", stdout, StringComparison.Ordinal);
        Assert.Contains("OTHER Information: other module says after Netpoll | 8.0.0.0 | Default\n", stdout, StringComparison.Ordinal);
        Assert.Matches(@"info: Netpoll\.Engine\[1\] Server order-other-first started on ", stdout);
        Assert.Matches(@"(?m)^\d\d:\d\d:\d\d netpoll order-other-first: \d+ connections", stdout);
        AssertEachLoadedTwice(stdout);
    }

    [Fact]
    public void Netpoll_with_telemetry_on_first_then_a_module_with_Microsoft_Extensions_Logging_8_both_log()
    {
        ProcessResult run = PwshProcess.RunScript(
            NetpollFirst + "\n" + Report, "-Other", TelemetryTestArtifacts.OtherLoggingModule, "-Netpoll", PowerShellSession.ManifestPath);
        string stdout = run.Stdout.ReplaceLineEndings("\n");

        Assert.True(run.ExitCode == 0, run.ToString());
        // Had Netpoll put 10.0 in the default context, the other module would have been bound to it instead of its own 8.0.
        Assert.Contains("OTHER Information: other module says after Netpoll | 8.0.0.0 | Default\n", stdout, StringComparison.Ordinal);
        Assert.Matches(@"info: Netpoll\.Engine\[1\] Server order-netpoll-first started on ", stdout);
        Assert.Matches(@"info: Netpoll\.Engine\[1\] Server order-netpoll-first-again started on ", stdout);
        Assert.Matches(@"info: Netpoll\.Engine\[2\] Server order-netpoll-first-again stopped ", stdout);
        AssertEachLoadedTwice(stdout);
    }

    /// <summary>8.0 in the default context for the other module, 10.0 in Netpoll.Telemetry for Netpoll, and nothing of Netpoll's in the default one.</summary>
    private static void AssertEachLoadedTwice(string stdout)
    {
        foreach (string name in SharedNames)
        {
            Assert.Contains($"LOADED {name} 8.0.0.0 Default\n", stdout, StringComparison.Ordinal);
            Assert.Contains($"LOADED {name} 10.0.0.0 Netpoll.Telemetry\n", stdout, StringComparison.Ordinal);
        }

        Assert.DoesNotMatch(@"LOADED \S+ 10\.0\.0\.0 Default", stdout);
        Assert.DoesNotMatch(@"LOADED OpenTelemetry\S* \S+ Default", stdout);
        Assert.Matches(@"LOADED OpenTelemetry 1\.0\.0\.0 Netpoll\.Telemetry", stdout);
    }
}
