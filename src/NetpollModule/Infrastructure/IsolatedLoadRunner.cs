using System.Diagnostics;
using System.Management.Automation;
using System.Runtime.InteropServices;
using System.Text.Json;
using Netpoll.Load;
using Netpoll.Load.Contracts;

namespace Netpoll.PowerShell;

/// <summary>Runs a load test in the netpoll-load worker process staged next to the module.</summary>
internal static class IsolatedLoadRunner
{
    private const string WorkerFile = "netpoll-load.dll";

    public static async Task<LoadResult> RunAsync(LoadRequest request, PSModuleInfo? module, Action<LoadProgress> progress, CancellationToken cancellationToken)
    {
        IReadOnlyList<string> folders = ModuleFolders.Candidates(module);
        string worker = folders.Select(f => Path.Combine(f, WorkerFile)).FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException($"The load worker ({WorkerFile}) is not in {string.Join(" or ", folders.Select(f => $"'{f}'"))}; rebuild the module (dotnet build Netpoll.slnx).");

        using var process = Process.Start(WorkerStartInfo(worker)) ?? throw new InvalidOperationException("Could not start the load worker process.");
        await process.StandardInput.WriteLineAsync(JsonSerializer.Serialize(request, WorkerProtocol.Json)).ConfigureAwait(false);
        await process.StandardInput.FlushAsync(cancellationToken).ConfigureAwait(false);

        // Cancelling closes the worker's stdin: it stops and still reports what ran.
        using CancellationTokenRegistration stop = cancellationToken.Register(() => { try { process.StandardInput.Close(); } catch (IOException) { } });
        Task<string> errors = process.StandardError.ReadToEndAsync(CancellationToken.None);
        LoadResult? result = null;
        string? failure = null;
        while (await process.StandardOutput.ReadLineAsync(CancellationToken.None).ConfigureAwait(false) is { } line)
        {
            if (line.StartsWith(WorkerProtocol.ProgressPrefix, StringComparison.Ordinal))
            {
                progress(JsonSerializer.Deserialize<LoadProgress>(line.AsSpan(2), WorkerProtocol.Json));
            }
            else if (line.StartsWith(WorkerProtocol.ResultPrefix, StringComparison.Ordinal))
            {
                result = JsonSerializer.Deserialize<LoadResult>(line.AsSpan(2), WorkerProtocol.Json);
            }
            else if (line.StartsWith(WorkerProtocol.ErrorPrefix, StringComparison.Ordinal))
            {
                failure = line[2..];
            }
        }

        await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
        if (result is not null && failure is not null)
        {
            throw new LoadStopTimeoutException($"The load worker measured, then failed to stop (exit code {process.ExitCode}): {failure}", result);
        }

        return result ?? throw new InvalidOperationException(
            $"The load worker exited with code {process.ExitCode} and no result: {failure ?? (await errors.ConfigureAwait(false)).Trim()}");
    }

    /// <summary>The worker's process: the running runtime's dotnet, our environment plus <see cref="LoadWorkerRuntime"/>'s settings.</summary>
    internal static ProcessStartInfo WorkerStartInfo(string worker)
    {
        var start = new ProcessStartInfo(DotnetPath(), [worker])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        LoadWorkerRuntime.Apply(start.Environment);
        return start;
    }

    /// <summary>The dotnet muxer of the running runtime (pwsh, or any other host of the module).</summary>
    private static string DotnetPath()
    {
        string? fromEnv = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (!string.IsNullOrEmpty(fromEnv) && File.Exists(fromEnv))
        {
            return fromEnv;
        }

        // <root>/shared/Microsoft.NETCore.App/<version>/ → <root>/dotnet
        string runtimeDir = RuntimeEnvironment.GetRuntimeDirectory();
        string root = Path.GetFullPath(Path.Combine(runtimeDir, "..", "..", ".."));
        string candidate = Path.Combine(root, OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet");
        return File.Exists(candidate) ? candidate : "dotnet";
    }
}
