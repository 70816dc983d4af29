using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace Netpoll.PowerShell.Tests;

/// <summary>
/// Runs a script in a fresh netpoll-host process, so each test starts with an empty default load context
/// (this test process already holds whatever earlier tests loaded). Bounded: killed after the timeout.
/// </summary>
internal static class TelemetryChildHost
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    public sealed record Result(int ExitCode, string Stdout, string Stderr)
    {
        public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Stdout}\n--- stderr\n{Stderr}";
    }

    /// <summary>Runs <paramref name="script"/> with -NoDefaultModule; the script imports what it needs, in its own order.</summary>
    public static Result Run(string script, params string[] scriptArguments)
    {
        string file = Path.Combine(Path.GetTempPath(), $"netpoll-telemetry-{Guid.NewGuid():N}.ps1");
        File.WriteAllText(file, script);
        try
        {
            var startInfo = new ProcessStartInfo(DotnetMuxer())
            {
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
                StandardOutputEncoding = Encoding.UTF8,
                StandardErrorEncoding = Encoding.UTF8,
            };
            foreach (string argument in (string[])[TelemetryTestArtifacts.NetpollHost, "-NoDefaultModule", "-NonInteractive", "-File", file, .. scriptArguments])
            {
                startInfo.ArgumentList.Add(argument);
            }

            startInfo.Environment.Remove("NETPOLL_MODULE_PATH");
            startInfo.Environment["NO_COLOR"] = "1";
            using var process = Process.Start(startInfo)!;
            process.StandardInput.Close();
            Task<string> stdout = process.StandardOutput.ReadToEndAsync();
            Task<string> stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(Timeout))
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(TimeSpan.FromSeconds(10));
                throw new TimeoutException($"netpoll-host did not finish within {Timeout}.\n{stdout.Result}\n{stderr.Result}");
            }

            Task.WaitAll([stdout, stderr], TimeSpan.FromSeconds(10));
            return new Result(process.ExitCode, stdout.Result, stderr.Result);
        }
        finally
        {
            File.Delete(file);
        }
    }

    /// <summary>The dotnet that runs these tests (DOTNET_HOST_PATH from the SDK, else the runtime's own muxer).</summary>
    private static string DotnetMuxer()
    {
        string name = OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet";
        string? fromSdk = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (!string.IsNullOrEmpty(fromSdk) && File.Exists(fromSdk))
        {
            return fromSdk;
        }

        string candidate = Path.GetFullPath(Path.Combine(RuntimeEnvironment.GetRuntimeDirectory(), "..", "..", "..", name));
        return File.Exists(candidate) ? candidate : name;
    }
}
