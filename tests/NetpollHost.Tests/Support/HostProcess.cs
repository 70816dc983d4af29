using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace Netpoll.Host.Tests.Support;

/// <summary>
/// The built netpoll-host running as a child process with redirected streams. Every wait is bounded: a host
/// that does not finish in time is killed (with its children) and the test fails with what it had printed.
/// </summary>
public sealed class HostProcess : IDisposable
{
    /// <summary>Generous for a 2-core machine that may be building something else at the same time.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(60);

    private readonly Process _process;
    private readonly Lock _sync = new();
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();
    private readonly TaskCompletionSource _stdoutClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _stderrClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<(string Line, TaskCompletionSource Seen)> _awaitedLines = [];

    private HostProcess(Process process)
    {
        _process = process;
    }

    public int Id => _process.Id;

    /// <summary>
    /// Runs the host to completion. Unless <paramref name="withDefaultModule"/> is set, the host is started with
    /// -NoDefaultModule so a Netpoll.psd1 in the repository never leaks into these tests.
    /// </summary>
    public static HostResult Run(
        IEnumerable<string> arguments,
        string? stdin = null,
        IReadOnlyDictionary<string, string?>? environment = null,
        bool withDefaultModule = false,
        string? hostAssembly = null)
    {
        using HostProcess host = Start(arguments, stdin, environment, withDefaultModule, hostAssembly);
        return host.WaitForExit(DefaultTimeout);
    }

    public static HostResult Run(params string[] arguments) => Run((IEnumerable<string>)arguments);

    /// <param name="hostAssembly">netpoll-host.dll to run; by default the one built beside these tests.</param>
    public static HostProcess Start(
        IEnumerable<string> arguments,
        string? stdin = null,
        IReadOnlyDictionary<string, string?>? environment = null,
        bool withDefaultModule = false,
        string? hostAssembly = null)
    {
        var startInfo = new ProcessStartInfo(DotnetMuxerPath())
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        startInfo.ArgumentList.Add(hostAssembly ?? HostAssemblyPath);
        if (!withDefaultModule)
        {
            startInfo.ArgumentList.Add("-NoDefaultModule");
        }

        foreach (string argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        startInfo.Environment.Remove("NETPOLL_MODULE_PATH");
        startInfo.Environment["NO_COLOR"] = "1";
        foreach ((string name, string? value) in environment ?? new Dictionary<string, string?>())
        {
            startInfo.Environment[name] = value;
        }

        var process = new Process { StartInfo = startInfo };
        var host = new HostProcess(process);
        process.OutputDataReceived += (_, e) => host.OnStdout(e.Data);
        process.ErrorDataReceived += (_, e) => host.OnStderr(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        // Closing stdin gives the host end-of-input, so anything that reads or prompts fails instead of hanging.
        try
        {
            if (stdin is not null)
            {
                process.StandardInput.Write(stdin);
            }

            process.StandardInput.Close();
        }
        catch (IOException)
        {
            // The host exited before reading its input (e.g. a usage error); its result says why.
        }
        return host;
    }

    /// <summary>Waits until the host has printed <paramref name="line"/> on stdout; fails the test on timeout.</summary>
    public async Task WaitForStdoutLineAsync(string line, TimeSpan timeout)
    {
        TaskCompletionSource seen;
        lock (_sync)
        {
            if (_stdout.ToString().Split('\n').Contains(line))
            {
                return;
            }

            seen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _awaitedLines.Add((line, seen));
        }

        if (await Task.WhenAny(seen.Task, Task.Delay(timeout)) != seen.Task)
        {
            Kill();
            throw new TimeoutException($"The host did not print '{line}' within {timeout}.\n{Snapshot()}");
        }
    }

    public void Signal(int signal) => PosixSignal.Send(_process.Id, signal);

    /// <summary>Waits for the host to exit and for its streams to drain; kills it and fails on timeout.</summary>
    public HostResult WaitForExit(TimeSpan timeout)
    {
        if (!_process.WaitForExit(timeout))
        {
            Kill();
            throw new TimeoutException($"The host did not exit within {timeout} and was killed.\n{Snapshot()}");
        }

        // The exit can be observed before the last lines are read; the streams' end is the real end.
        Task.WaitAll([_stdoutClosed.Task, _stderrClosed.Task], TimeSpan.FromSeconds(10));
        return Snapshot();
    }

    public void Dispose()
    {
        Kill();
        _process.Dispose();
    }

    private HostResult Snapshot()
    {
        lock (_sync)
        {
            int exitCode = _process.HasExited ? _process.ExitCode : -1;
            return new HostResult(exitCode, _stdout.ToString(), _stderr.ToString());
        }
    }

    private void Kill()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(TimeSpan.FromSeconds(10));
            }
        }
        catch (InvalidOperationException)
        {
            // Never started or already gone: nothing to kill.
        }
    }

    private void OnStdout(string? line)
    {
        if (line is null)
        {
            _stdoutClosed.TrySetResult();
            return;
        }

        lock (_sync)
        {
            _stdout.Append(line).Append('\n');
            foreach ((string awaited, TaskCompletionSource seen) in _awaitedLines)
            {
                if (line == awaited)
                {
                    seen.TrySetResult();
                }
            }
        }
    }

    private void OnStderr(string? line)
    {
        if (line is null)
        {
            _stderrClosed.TrySetResult();
            return;
        }

        lock (_sync)
        {
            _stderr.Append(line).Append('\n');
        }
    }

    /// <summary>The host dll copied beside the tests by the project reference.</summary>
    private static string HostAssemblyPath { get; } = Path.Combine(AppContext.BaseDirectory, "netpoll-host.dll");

    /// <summary>
    /// The dotnet executable running these tests: DOTNET_HOST_PATH when the SDK set it, this process when it
    /// is the muxer, else the muxer that owns the running shared runtime (…/shared/Microsoft.NETCore.App/x.y.z/).
    /// </summary>
    private static string DotnetMuxerPath()
    {
        string muxerName = OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet";
        string? fromSdk = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (!string.IsNullOrEmpty(fromSdk) && File.Exists(fromSdk))
        {
            return fromSdk;
        }

        string? self = Environment.ProcessPath;
        if (self is not null && Path.GetFileName(self) == muxerName)
        {
            return self;
        }

        string runtimeDirectory = RuntimeEnvironment.GetRuntimeDirectory();
        string candidate = Path.GetFullPath(Path.Combine(runtimeDirectory, "..", "..", "..", muxerName));
        return File.Exists(candidate) ? candidate : muxerName;
    }
}
