using System.Diagnostics;
using System.Text;
using System.Threading.Channels;

namespace Netpoll.Bench;

/// <summary>
/// A child process with line-based stdout (read into a channel), stdin for commands and a bounded
/// stderr log. Disposing kills it (and its children) if it is still running.
/// </summary>
internal sealed class ChildProcess : IDisposable
{
    private const int StderrCap = 16 * 1024;
    private readonly Process _process;
    private readonly Channel<string> _lines = Channel.CreateUnbounded<string>();
    private readonly StringBuilder _stderr = new();

    private ChildProcess(Process process, string display)
    {
        _process = process;
        Display = display;
    }

    public int Id => _process.Id;

    public string Display { get; }

    public bool HasExited => _process.HasExited;

    public string Stderr
    {
        get
        {
            lock (_stderr)
            {
                return _stderr.ToString();
            }
        }
    }

    /// <summary>Starts <paramref name="command"/>, pinned to <paramref name="cpus"/> with taskset when given.</summary>
    public static ChildProcess Start(IReadOnlyList<string> command, string? cpus = null, IReadOnlyDictionary<string, string>? environment = null)
    {
        var argv = new List<string>();
        if (cpus is not null)
        {
            argv.AddRange(["taskset", "-c", cpus]);
        }

        argv.AddRange(command);
        var info = new ProcessStartInfo(argv[0])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string a in argv.Skip(1))
        {
            info.ArgumentList.Add(a);
        }

        if (environment is not null)
        {
            foreach ((string key, string value) in environment)
            {
                info.Environment[key] = value;
            }
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {argv[0]}");
        var child = new ChildProcess(process, string.Join(' ', argv));
        _ = Task.Run(child.PumpStdoutAsync);
        _ = Task.Run(child.PumpStderrAsync);
        return child;
    }

    /// <summary>Waits for the next stdout line that starts with <paramref name="prefix"/> (other lines are skipped).</summary>
    public async Task<string> WaitForLineAsync(string prefix, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            while (await _lines.Reader.WaitToReadAsync(cts.Token).ConfigureAwait(false))
            {
                while (_lines.Reader.TryRead(out string? line))
                {
                    if (line.StartsWith(prefix, StringComparison.Ordinal))
                    {
                        return line[prefix.Length..].Trim();
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"no '{prefix}' line from [{Display}] within {timeout.TotalSeconds:0} s; stderr: {Tail(Stderr)}");
        }

        throw new InvalidOperationException($"[{Display}] exited (code {ExitCodeOrNull()}) before printing '{prefix}'; stderr: {Tail(Stderr)}");
    }

    public async Task SendAsync(string line)
    {
        await _process.StandardInput.WriteLineAsync(line).ConfigureAwait(false);
        await _process.StandardInput.FlushAsync().ConfigureAwait(false);
    }

    public void CloseInput()
    {
        try
        {
            _process.StandardInput.Close();
        }
        catch (IOException)
        {
        }
    }

    /// <summary>Sends a signal by number through /bin/kill (SIGINT=2 makes perf print its counts).</summary>
    public void Signal(string signal)
    {
        if (_process.HasExited)
        {
            return;
        }

        using var kill = Process.Start(new ProcessStartInfo("kill") { ArgumentList = { "-" + signal, _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture) }, UseShellExecute = false });
        kill?.WaitForExit(5000);
    }

    /// <summary>Waits for exit; kills after <paramref name="timeout"/>. True when it exited by itself.</summary>
    public async Task<bool> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            Kill();
            return false;
        }
    }

    public void Kill()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
        }
    }

    public void Dispose()
    {
        Kill();
        _process.Dispose();
    }

    private string ExitCodeOrNull() => _process.HasExited ? _process.ExitCode.ToString(System.Globalization.CultureInfo.InvariantCulture) : "running";

    private static string Tail(string text) => text.Length <= 800 ? text.Trim() : "..." + text[^800..].Trim();

    private async Task PumpStdoutAsync()
    {
        try
        {
            while (await _process.StandardOutput.ReadLineAsync().ConfigureAwait(false) is { } line)
            {
                _lines.Writer.TryWrite(line);
            }
        }
        catch (IOException)
        {
        }
        finally
        {
            _lines.Writer.TryComplete();
        }
    }

    private async Task PumpStderrAsync()
    {
        try
        {
            while (await _process.StandardError.ReadLineAsync().ConfigureAwait(false) is { } line)
            {
                lock (_stderr)
                {
                    if (_stderr.Length < StderrCap)
                    {
                        _stderr.AppendLine(line);
                    }
                }
            }
        }
        catch (IOException)
        {
        }
    }
}
