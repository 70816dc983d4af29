using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Netpoll.Bench;

/// <summary>One echo run: which server, how loaded, and what extra to measure.</summary>
internal sealed record EchoSpec(string Group, string Server, int Connections, int Size, int Rep)
{
    public int Pollers { get; init; }
    public bool Pinned { get; init; } = true;
    /// <summary>Count syscalls and context switches with perf stat (a separate pass: the tracepoints cost a little).</summary>
    public bool Count { get; init; }
    /// <summary>Sample the server with perf record during the window.</summary>
    public bool Profile { get; init; }
}

internal sealed partial class SuiteCommand
{
    private static readonly string[] CountedSyscalls =
        ["read", "write", "readv", "writev", "recvfrom", "sendto", "recvmsg", "sendmsg", "epoll_wait", "epoll_pwait", "epoll_ctl", "futex", "sched_yield", "mprotect", "madvise"];

    private RunRecord NewRecord(string group, string server, int connections, int size, int rep) => new()
    {
        Group = group,
        Server = server,
        Connections = connections,
        Size = size,
        Rep = rep,
        StartedAt = DateTime.UtcNow.ToString("HH:mm:ss", CultureInfo.InvariantCulture),
        LoadAverage = ProcStat.LoadAverage(),
    };

    private async Task<RunRecord> EchoAsync(EchoSpec spec)
    {
        RunRecord r = NewRecord(spec.Group, spec.Server, spec.Connections, spec.Size, spec.Rep);
        r.Pollers = spec.Pollers;
        r.Pinned = spec.Pinned;
        SuiteSettings s = _settings;
        ChildProcess? server = null, client = null, perf = null;
        try
        {
            server = StartServer(spec.Server, http: false, spec.Pinned, spec.Pollers, perfMap: spec.Profile);
            int port = await WaitReadyAsync(server).ConfigureAwait(false);
            client = ChildProcess.Start(
                [_self, "client", "--target", $"127.0.0.1:{port}", "--connections", I(spec.Connections), "--size", I(spec.Size),
                 "--duration", D(s.Measure), "--warmup", D(s.Warmup), "--pollers", "1"],
                spec.Pinned ? "1" : null);
            await client.WaitForLineAsync("MARK ", TimeSpan.FromSeconds(120)).ConfigureAwait(false);
            Snapshot a = await SnapshotAsync(server, client).ConfigureAwait(false);
            string? perfOut = null;
            if (spec.Count)
            {
                perfOut = Path.Combine(Path.GetTempPath(), $"netpoll-bench-perfstat-{server.Id}.csv");
                perf = ChildProcess.Start(["perf", "stat", "-x", ",", "-o", perfOut, "-e", PerfEvents(), "-p", I(server.Id)]);
            }
            else if (spec.Profile)
            {
                perfOut = Path.Combine(Path.GetTempPath(), $"netpoll-bench-perf-{server.Id}.data");
                perf = ChildProcess.Start(["perf", "record", "-F", "999", "-g", "-o", perfOut, "-p", I(server.Id)]);
            }

            await client.WaitForLineAsync("END ", TimeSpan.FromSeconds(s.Measure + 60)).ConfigureAwait(false);
            Snapshot b = await SnapshotAsync(server, client).ConfigureAwait(false);
            if (perf is not null)
            {
                perf.Signal("INT");
                await perf.WaitForExitAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);
            }

            JsonObject result = JsonNode.Parse(await client.WaitForLineAsync("RESULT ", TimeSpan.FromSeconds(60)).ConfigureAwait(false))!.AsObject();
            FillClient(r, result);
            Cost(r, a, b, haveClientCpu: true);
            if (spec.Count && perfOut is not null)
            {
                ReadPerfStat(r, perfOut, a, b);
            }
            else if (spec.Profile && perfOut is not null)
            {
                r.ProfileFile = await WriteProfileAsync(spec.Server, perfOut, server.Id).ConfigureAwait(false);
            }

            await client.WaitForExitAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);
            await StopServerAsync(server).ConfigureAwait(false);
            r.Ok = r.Rps > 0;
            r.Error = r.Ok ? null : "no round trips";
        }
        catch (Exception ex) when (ex is TimeoutException or InvalidOperationException or IOException or FormatException or JsonException)
        {
            r.Ok = false;
            r.Error = ex.Message;
        }
        finally
        {
            perf?.Dispose();
            client?.Dispose();
            server?.Dispose();
        }

        return r;
    }

    private async Task<RunRecord> HttpAsync(string serverName, int connections, int rep)
    {
        RunRecord r = NewRecord("http", serverName, connections, 0, rep);
        SuiteSettings s = _settings;
        ChildProcess? server = null;
        try
        {
            server = StartServer(serverName, http: true, pinned: true, pollers: 0);
            int port = await WaitReadyAsync(server).ConfigureAwait(false);
            string url = $"http://127.0.0.1:{port}/";
            await RunWrkAsync(connections, Math.Max(1, (int)Math.Round(s.Warmup)), url).ConfigureAwait(false);
            Snapshot a = await SnapshotAsync(server, null).ConfigureAwait(false);
            JsonObject wrk = await RunWrkAsync(connections, Math.Max(1, (int)Math.Round(s.Measure)), url).ConfigureAwait(false);
            Snapshot b = await SnapshotAsync(server, null).ConfigureAwait(false);
            r.WindowRequests = wrk["requests"]!.GetValue<long>();
            r.WindowSeconds = wrk["duration_us"]!.GetValue<double>() / 1e6;
            r.Rps = r.WindowRequests / Math.Max(r.WindowSeconds, 1e-9);
            r.P50Us = wrk["p50"]!.GetValue<double>();
            r.P90Us = wrk["p90"]!.GetValue<double>();
            r.P99Us = wrk["p99"]!.GetValue<double>();
            r.P999Us = wrk["p999"]!.GetValue<double>();
            r.MaxUs = wrk["max"]!.GetValue<double>();
            r.Errors = wrk["errors"]!.GetValue<long>();
            r.ConnectionsOpened = connections;
            Cost(r, a, b, haveClientCpu: false);
            await StopServerAsync(server).ConfigureAwait(false);
            r.Ok = r.Rps > 0;
            r.Error = r.Ok ? null : "no requests";
        }
        catch (Exception ex) when (ex is TimeoutException or InvalidOperationException or IOException or FormatException or JsonException or NullReferenceException)
        {
            r.Ok = false;
            r.Error = ex.Message;
        }
        finally
        {
            server?.Dispose();
        }

        return r;
    }

    private async Task<JsonObject> RunWrkAsync(int connections, int seconds, string url)
    {
        using ChildProcess wrk = ChildProcess.Start(
            ["wrk", "-t1", "-c" + I(connections), "-d" + I(seconds) + "s", "--timeout", "5s", "-s", _wrkScript, url], "1");
        string line = await wrk.WaitForLineAsync("WRK ", TimeSpan.FromSeconds(seconds + 60)).ConfigureAwait(false);
        await wrk.WaitForExitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        return JsonNode.Parse(line)!.AsObject();
    }

    private async Task<RunRecord> IdleAsync(string serverName, int connections)
    {
        RunRecord r = NewRecord("idle", serverName, connections, 0, 1);
        ChildProcess? server = null, client = null;
        try
        {
            server = StartServer(serverName, http: false, pinned: true, pollers: 0);
            int port = await WaitReadyAsync(server).ConfigureAwait(false);
            bool managed = serverName != "c-epoll";
            JsonObject before = await ServerStatsAsync(server, collect: managed).ConfigureAwait(false);
            long rssBefore = ProcStat.RssBytes(server.Id);
            client = ChildProcess.Start(
                [_self, "client", "--target", $"127.0.0.1:{port}", "--connections", I(connections), "--pattern", "idle",
                 "--sources", I(_settings.IdleSources), "--warmup", "0", "--pollers", "1"], "1");
            await client.WaitForLineAsync("MARK ", TimeSpan.FromSeconds(120)).ConfigureAwait(false);
            // Let the server finish accepting and registering, then collect and read.
            JsonObject after = before;
            for (int i = 0; i < 20; i++)
            {
                await Task.Delay(500).ConfigureAwait(false);
                after = await ServerStatsAsync(server, collect: managed).ConfigureAwait(false);
                long n = Num(after, "connections");
                if (i >= 2 && (n < 0 || n >= connections))
                {
                    break;
                }
            }

            long rssAfter = ProcStat.RssBytes(server.Id);
            await client.SendAsync("stop").ConfigureAwait(false);
            JsonObject result = JsonNode.Parse(await client.WaitForLineAsync("RESULT ", TimeSpan.FromSeconds(60)).ConfigureAwait(false))!.AsObject();
            int opened = result["connectionsOpened"]!.GetValue<int>();
            r.ConnectionsOpened = opened;
            r.Errors = result["errors"]!.GetValue<long>();
            r.ServerConnections = Num(after, "connections");
            long held = r.ServerConnections > 0 ? r.ServerConnections.Value : opened;
            r.RssDeltaBytes = rssAfter - rssBefore;
            r.RssPerConnection = (double)r.RssDeltaBytes / Math.Max(held, 1);
            if (managed)
            {
                r.ManagedDeltaBytes = Num(after, "totalMemory") - Num(before, "totalMemory");
                r.HeapDeltaBytes = Num(after, "heapSizeBytes") - Num(before, "heapSizeBytes");
                r.ManagedPerConnection = (double)r.ManagedDeltaBytes / Math.Max(held, 1);
                r.HeapPerConnection = (double)r.HeapDeltaBytes / Math.Max(held, 1);
                r.RentedBlocks = Num(after, "rentedBlocks");
                r.RentedBytes = Num(after, "rentedBytes");
                r.RetainedBytes = Num(after, "retainedBytes");
            }

            await client.WaitForExitAsync(TimeSpan.FromSeconds(60)).ConfigureAwait(false);
            await StopServerAsync(server).ConfigureAwait(false);
            r.Ok = opened > 0;
            r.Error = r.Ok ? null : "no connection opened";
        }
        catch (Exception ex) when (ex is TimeoutException or InvalidOperationException or IOException or FormatException or JsonException or NullReferenceException)
        {
            r.Ok = false;
            r.Error = ex.Message;
        }
        finally
        {
            client?.Dispose();
            server?.Dispose();
        }

        return r;
    }

    private static void FillClient(RunRecord r, JsonObject result)
    {
        r.WindowSeconds = result["windowSeconds"]!.GetValue<double>();
        r.WindowRequests = result["windowRequests"]!.GetValue<long>();
        r.Rps = result["rps"]!.GetValue<double>();
        r.P50Us = result["p50Us"]!.GetValue<double>();
        r.P90Us = result["p90Us"]!.GetValue<double>();
        r.P99Us = result["p99Us"]!.GetValue<double>();
        r.P999Us = result["p999Us"]!.GetValue<double>();
        r.MaxUs = result["maxUs"]!.GetValue<double>();
        r.Errors = result["errors"]!.GetValue<long>();
        r.ConnectionsOpened = result["connectionsOpened"]!.GetValue<int>();
    }

    private static string PerfEvents()
    {
        var events = new List<string> { "raw_syscalls:sys_enter", "context-switches", "task-clock" };
        foreach (string name in CountedSyscalls)
        {
            if (Directory.Exists($"/sys/kernel/tracing/events/syscalls/sys_enter_{name}") || Directory.Exists($"/sys/kernel/debug/tracing/events/syscalls/sys_enter_{name}"))
            {
                events.Add($"syscalls:sys_enter_{name}");
            }
        }

        return string.Join(',', events);
    }

    /// <summary>
    /// perf stat counted from shortly after the window opened to shortly after it closed. Its counts are
    /// scaled by its own task-clock: (syscalls per server CPU-second, from perf) × (server CPU-seconds
    /// per round trip, from /proc over the window), so attach latency does not skew the ratio.
    /// </summary>
    private static void ReadPerfStat(RunRecord r, string path, Snapshot a, Snapshot b)
    {
        var counts = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (string line in File.ReadLines(path))
        {
            string[] f = line.Split(',');
            if (f.Length < 3 || line.StartsWith('#') || !double.TryParse(f[0], NumberStyles.Float, CultureInfo.InvariantCulture, out double value))
            {
                continue;
            }

            counts[f[2]] = value;
        }

        File.Delete(path);
        if (!counts.TryGetValue("task-clock", out double taskClockMs) || taskClockMs <= 0)
        {
            return;
        }

        double cpuPerRt = r.ServerCpu / Math.Max(r.Rps, 1e-9);
        double perRt(double n) => n / (taskClockMs / 1000.0) * cpuPerRt;
        var perCall = new Dictionary<string, double>(StringComparer.Ordinal);
        double named = 0;
        foreach ((string evt, double n) in counts)
        {
            if (evt.StartsWith("syscalls:sys_enter_", StringComparison.Ordinal))
            {
                perCall[evt["syscalls:sys_enter_".Length..]] = perRt(n);
                named += n;
            }
        }

        if (counts.TryGetValue("raw_syscalls:sys_enter", out double total))
        {
            perCall["total"] = perRt(total);
            perCall["other"] = perRt(Math.Max(0, total - named));
        }

        r.SyscallsPerRt = perCall;
        if (counts.TryGetValue("context-switches", out double cs))
        {
            r.PerfCtxPerRt = perRt(cs);
        }
    }

    private async Task<string> WriteProfileAsync(string server, string data, int pid)
    {
        string dir = Path.Combine(_outDir, "profiles");
        Directory.CreateDirectory(dir);
        string file = Path.Combine(dir, $"echo-1k-1000-{server}.txt");
        var text = new System.Text.StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"# perf record -F 999 -g -p <server> over the measured window; echo 1 KiB x 1000 connections; server {server}");
        text.AppendLine("# self time by shared object");
        text.AppendLine(await PerfReportAsync(data, "--sort", "dso", "--percent-limit", "0.5").ConfigureAwait(false));
        text.AppendLine("# self time by symbol (>= 0.7 %)");
        text.AppendLine(await PerfReportAsync(data, "--sort", "dso,sym", "--percent-limit", "0.7").ConfigureAwait(false));
        await File.WriteAllTextAsync(file, text.ToString()).ConfigureAwait(false);
        File.Delete(data);
        string map = $"/tmp/perf-{pid}.map";
        if (File.Exists(map))
        {
            File.Delete(map);
        }

        return Path.GetRelativePath(_outDir, file);
    }

    private static async Task<string> PerfReportAsync(string data, params string[] sort)
    {
        var info = new ProcessStartInfo("perf") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in (string[])["report", "-i", data, "--no-children", "--stdio", "-g", "none", .. sort])
        {
            info.ArgumentList.Add(a);
        }

        using Process p = Process.Start(info)!;
        Task<string> err = p.StandardError.ReadToEndAsync();
        string output = await p.StandardOutput.ReadToEndAsync().ConfigureAwait(false);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await p.WaitForExitAsync(cts.Token).ConfigureAwait(false);
        _ = await err.ConfigureAwait(false);
        // Keep the table, drop perf's blank and comment lines.
        return string.Join('\n', output.Split('\n').Where(l => l.Length > 0 && !l.StartsWith('#')).Take(60));
    }

    private static string I(int v) => v.ToString(CultureInfo.InvariantCulture);

    private static string D(double v) => v.ToString(CultureInfo.InvariantCulture);
}
