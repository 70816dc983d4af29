using System.Diagnostics;
using System.Text;

namespace Netpoll.PowerShell.Tests;

/// <summary>
/// Runs a script in a fresh pwsh process: the pwsh 7.6.9 of the repository's tool manifest, started as
/// <c>dotnet &lt;PSHOME&gt;/pwsh.dll</c> so the test owns the process itself (the tool's launcher would start it as
/// a grandchild). Each run starts with an empty default load context. Every wait is bounded: a run that does not
/// finish in time is killed with its children and the test fails with what it had printed.
/// </summary>
internal static class PwshProcess
{
    /// <summary>Generous for a 2-core machine that may be building something else at the same time.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(60);

    private static readonly Lazy<string> PwshAssembly = new(FindPwshAssembly);

    /// <summary>Writes <paramref name="script"/> to a temporary file and runs it with <paramref name="scriptArguments"/>.</summary>
    public static ProcessResult RunScript(string script, params string[] scriptArguments)
    {
        string file = Path.Combine(Path.GetTempPath(), $"netpoll-pwsh-{Guid.NewGuid():N}.ps1");
        File.WriteAllText(file, script);
        try
        {
            return Run([PwshAssembly.Value, "-NoProfile", "-NonInteractive", "-File", file, .. scriptArguments], RepositoryRoot.Path);
        }
        finally
        {
            File.Delete(file);
        }
    }

    /// <summary>pwsh.dll of the tool manifest's PowerShell, as that pwsh reports its own $PSHOME.</summary>
    private static string FindPwshAssembly()
    {
        // `dotnet pwsh` resolves the tool from .config/dotnet-tools.json above the working directory.
        ProcessResult home = Run(["pwsh", "-NoProfile", "-NonInteractive", "-Command", "$PSHOME"], RepositoryRoot.Path);
        string pwsh = Path.Combine(home.Stdout.Trim(), "pwsh.dll");
        return home.ExitCode == 0 && File.Exists(pwsh)
            ? pwsh
            : throw new InvalidOperationException($"The repository's pwsh tool did not start: run 'dotnet tool restore' first.\n{home}");
    }

    /// <summary>Runs the dotnet muxer with <paramref name="arguments"/>, stdin closed, output captured.</summary>
    private static ProcessResult Run(IEnumerable<string> arguments, string workingDirectory)
    {
        var startInfo = new ProcessStartInfo(DotnetMuxer.Path)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (string argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        startInfo.Environment["NO_COLOR"] = "1";
        using var process = new Process { StartInfo = startInfo };
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        var stdoutClosed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var stderrClosed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        process.OutputDataReceived += (_, e) => Append(stdout, e.Data, stdoutClosed);
        process.ErrorDataReceived += (_, e) => Append(stderr, e.Data, stderrClosed);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        process.StandardInput.Close(); // anything that reads or prompts fails instead of hanging

        if (!process.WaitForExit(DefaultTimeout))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit(TimeSpan.FromSeconds(10));
            throw new TimeoutException($"pwsh did not exit within {DefaultTimeout} and was killed.\n{Snapshot()}");
        }

        // The exit can be observed before the last lines are read; the streams' end is the real end.
        Task.WaitAll([stdoutClosed.Task, stderrClosed.Task], TimeSpan.FromSeconds(10));
        return Snapshot();

        ProcessResult Snapshot()
        {
            lock (stdout)
            {
                lock (stderr)
                {
                    return new ProcessResult(process.HasExited ? process.ExitCode : -1, stdout.ToString(), stderr.ToString());
                }
            }
        }
    }

    private static void Append(StringBuilder text, string? line, TaskCompletionSource closed)
    {
        if (line is null)
        {
            closed.TrySetResult();
            return;
        }

        lock (text)
        {
            text.Append(line).Append('\n');
        }
    }
}
