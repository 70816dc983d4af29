using System.Diagnostics;

namespace Netpoll.Tests.Tls;

/// <summary>A command-line TLS client (curl, openssl, wrk) run as a child process, bounded in time.</summary>
internal static class ExternalTool
{
    /// <summary>The tool's full path from PATH, or null when it is not installed.</summary>
    public static string? Find(string name)
    {
        foreach (string directory in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            string candidate = Path.Combine(directory, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    /// <summary>Runs <paramref name="tool"/>, writes <paramref name="input"/> to its stdin (then closes it after <paramref name="closeInputAfter"/>), and returns its exit code and output. Killed after <paramref name="timeout"/>.</summary>
    public static async Task<(int ExitCode, string Output, string Error)> RunAsync(string tool, IEnumerable<string> arguments, string? input = null, TimeSpan? timeout = null, TimeSpan? closeInputAfter = null)
    {
        var start = new ProcessStartInfo(Find(tool) ?? throw new InvalidOperationException($"{tool} is not installed"))
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> error = process.StandardError.ReadToEndAsync();
        if (input is not null)
        {
            await process.StandardInput.WriteAsync(input);
            await process.StandardInput.FlushAsync();
        }

        if (closeInputAfter is { } delay)
        {
            await Task.Delay(delay);
        }

        process.StandardInput.Close();
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(30));
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{tool} {string.Join(' ', arguments)} did not finish within {(timeout ?? TimeSpan.FromSeconds(30)).TotalSeconds:0} s; output so far: {await output}{await error}");
        }

        return (process.ExitCode, await output, await error);
    }
}

/// <summary>OpenSSL's own TLS client against a test server: what a real peer makes of how the server ends its stream.</summary>
internal static class OpensslClient
{
    /// <summary>
    /// Runs <c>openssl s_client</c> (TLS version <paramref name="versionFlag"/>, trusting the test root written into
    /// <paramref name="directory"/>), sends <paramref name="input"/> and reads to the end of the server's stream
    /// (-ign_eof). Its output says how the stream ended: "closed" after a close_notify, "unexpected eof" after a bare FIN.
    /// </summary>
    public static async Task<(int ExitCode, string Output)> SClientAsync(System.Net.IPEndPoint endPoint, string versionFlag, string directory, string input = "x\n")
    {
        string root = TestCertificates.WritePem(TestCertificates.Root, Path.Combine(directory, "root.pem"));
        (int exit, string output, string error) = await ExternalTool.RunAsync("openssl",
            ["s_client", "-connect", $"127.0.0.1:{endPoint.Port}", "-servername", "localhost", "-CAfile", root, "-ign_eof", versionFlag],
            input: input, timeout: TimeSpan.FromSeconds(30));
        return (exit, output + error);
    }
}

/// <summary>A fact that needs a command-line tool: skipped, with the reason and the fix, where the tool is not installed.</summary>
internal sealed class ToolFactAttribute : FactAttribute
{
    public ToolFactAttribute(string tool, string package)
    {
        if (ExternalTool.Find(tool) is null)
        {
            Skip = $"{tool} is not installed here (Debian: apt-get install {package}); this test runs it against the server.";
        }
    }
}

/// <summary>A theory that needs a command-line tool (one row per backend, say): skipped like <see cref="ToolFactAttribute"/> where it is missing.</summary>
internal sealed class ToolTheoryAttribute : TheoryAttribute
{
    public ToolTheoryAttribute(string tool, string package)
    {
        if (ExternalTool.Find(tool) is null)
        {
            Skip = $"{tool} is not installed here (Debian: apt-get install {package}); this test runs it against the server.";
        }
    }
}
