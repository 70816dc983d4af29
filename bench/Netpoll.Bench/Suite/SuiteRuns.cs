using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Netpoll.Bench;

/// <summary>
/// One echo session: one server process and one client process (--jobs), a JIT warm-up job, then one
/// measured job per (size, connections). Both processes stay up, so the measured code runs at tier 1.
/// </summary>
internal sealed record EchoSession(string Group, string Server, int Rep, IReadOnlyList<(int Size, int Connections)> Configs)
{
    public int Pollers { get; init; }
    public bool Pinned { get; init; } = true;
    /// <summary>Count syscalls and context switches with perf stat (a separate pass: the tracepoints cost a little).</summary>
    public bool Count { get; init; }
    /// <summary>Sample the server with perf record during the window.</summary>
    public bool Profile { get; init; }
    /// <summary>Start the server with --alloc-trace and record allocations by type over the window.</summary>
    public bool AllocTrace { get; init; }
}

internal sealed partial class SuiteCommand
{
    private static readonly string[] CountedSyscalls =
        ["read", "write", "readv", "writev", "recvfrom", "sendto", "recvmsg", "sendmsg", "epoll_wait", "epoll_pwait", "epoll_ctl", "io_uring_enter", "futex", "sched_yield", "mprotect", "madvise"];

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

    private async Task<List<RunRecord>> EchoSessionAsync(EchoSession session)
    {
        var records = new List<RunRecord>();
        SuiteSettings s = _settings;
        ChildProcess? server = null, client = null;
        int next = 0;
        try
        {
            server = StartServer(session.Server, http: false, session.Pinned, session.Pollers, perfMap: session.Profile, allocTrace: session.AllocTrace);
            int port = await WaitReadyAsync(server).ConfigureAwait(false);
            client = ChildProcess.Start(
                [_self, "client", "--jobs", "--target", $"127.0.0.1:{port}"],
                session.Pinned ? "1" : null);

            // JIT warm-up of both processes: the runtime needs a few seconds of load to reach tier 1.
            await client.SendAsync($"run --connections 1000 --size 1024 --duration {D(s.JitWarmup)} --warmup 0 --pollers 1 --backend {s.EchoClientBackend}").ConfigureAwait(false);
            await client.WaitForLineAsync("RESULT ", TimeSpan.FromSeconds(s.JitWarmup + 120)).ConfigureAwait(false);

            for (; next < session.Configs.Count; next++)
            {
                (int size, int connections) = session.Configs[next];
                RunRecord r = NewRecord(session.Group, session.Server, connections, size, session.Rep);
                r.Pollers = session.Pollers;
                r.Pinned = session.Pinned;
                r.Client = $"netpoll-load ({s.EchoClientBackend})";
                await MeasureEchoAsync(r, session, server, client).ConfigureAwait(false);
                records.Add(r);
                Log(Describe(r));
            }

            await client.SendAsync("quit").ConfigureAwait(false);
            await client.WaitForExitAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);
            await StopServerAsync(server).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsRunFailure(ex))
        {
            for (; next < session.Configs.Count; next++)
            {
                (int size, int connections) = session.Configs[next];
                RunRecord r = NewRecord(session.Group, session.Server, connections, size, session.Rep);
                r.Pollers = session.Pollers;
                r.Pinned = session.Pinned;
                r.Ok = false;
                r.Error = ex.Message;
                records.Add(r);
                Log(Describe(r));
            }
        }
        finally
        {
            client?.Dispose();
            server?.Dispose();
        }

        return records;
    }

    private async Task MeasureEchoAsync(RunRecord r, EchoSession session, ChildProcess server, ChildProcess client)
    {
        SuiteSettings s = _settings;
        ChildProcess? perf = null;
        try
        {
            await client.SendAsync($"run --connections {I(r.Connections)} --size {I(r.Size)} --duration {D(s.Measure)} --warmup {D(s.Warmup)} --pollers 1 --backend {s.EchoClientBackend}").ConfigureAwait(false);
            await client.WaitForLineAsync("MARK ", TimeSpan.FromSeconds(s.Warmup + 120)).ConfigureAwait(false);
            Snapshot a = await SnapshotAsync(server, client).ConfigureAwait(false);
            if (session.AllocTrace)
            {
                await ServerCommandAsync(server, "allocs-reset").ConfigureAwait(false);
            }

            string? perfOut = null;
            if (session.Count)
            {
                perfOut = Path.Combine(Path.GetTempPath(), $"netpoll-bench-perfstat-{server.Id}.csv");
                perf = ChildProcess.Start(["perf", "stat", "-x", ",", "-o", perfOut, "-e", PerfEvents(), "-p", I(server.Id)]);
            }
            else if (session.Profile)
            {
                perfOut = Path.Combine(Path.GetTempPath(), $"netpoll-bench-perf-{server.Id}.data");
                perf = ChildProcess.Start(["perf", "record", "-F", "999", "-g", "-o", perfOut, "-p", I(server.Id)]);
            }

            await client.WaitForLineAsync("END ", TimeSpan.FromSeconds(s.Measure + 60)).ConfigureAwait(false);
            Snapshot b = await SnapshotAsync(server, client).ConfigureAwait(false);
            JsonObject? allocs = session.AllocTrace ? await ServerCommandAsync(server, "allocs").ConfigureAwait(false) : null;
            if (perf is not null)
            {
                perf.Signal("INT");
                await perf.WaitForExitAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);
            }

            JsonObject result = JsonNode.Parse(await client.WaitForLineAsync("RESULT ", TimeSpan.FromSeconds(60)).ConfigureAwait(false))!.AsObject();
            FillClient(r, result);
            Cost(r, a, b, haveClientCpu: true);
            if (allocs is not null)
            {
                r.AllocationsPerRt = AllocationsPerRt(allocs, r, a, b);
            }
            if (session.Count && perfOut is not null)
            {
                ReadPerfStat(r, perfOut, a, b);
            }
            else if (session.Profile && perfOut is not null)
            {
                r.ProfileFile = await WriteProfileAsync(session.Server, perfOut, server.Id).ConfigureAwait(false);
            }

            r.Ok = r.Rps > 0;
            r.Error = r.Ok ? null : "no round trips";
        }
        finally
        {
            perf?.Dispose();
        }
    }

    /// <summary>One HTTP session: one server process, a JIT warm-up with wrk, then one measured wrk run per connection count.</summary>
    private async Task<List<RunRecord>> HttpSessionAsync(string serverName, int rep, IReadOnlyList<int> connectionCounts, bool allocTrace = false)
    {
        var records = new List<RunRecord>();
        SuiteSettings s = _settings;
        ChildProcess? server = null;
        int next = 0;
        try
        {
            server = StartServer(serverName, http: true, pinned: true, pollers: 0, allocTrace: allocTrace);
            int port = await WaitReadyAsync(server).ConfigureAwait(false);
            string url = $"{(IsHttps(serverName) ? "https" : "http")}://127.0.0.1:{port}/";
            await RunWrkAsync(connectionCounts.Max(), Math.Max(1, (int)Math.Round(s.JitWarmup)), url).ConfigureAwait(false);
            // wrk handshakes all its connections as its window starts: over TLS the window is longer, so they are a small part of it.
            double measure = IsHttps(serverName) ? s.HttpsMeasure : s.Measure;
            for (; next < connectionCounts.Count; next++)
            {
                int connections = connectionCounts[next];
                RunRecord r = NewRecord(HttpGroup(serverName, allocTrace), serverName, connections, 0, rep);
                await RunWrkAsync(connections, Math.Max(1, (int)Math.Round(s.Warmup)), url).ConfigureAwait(false);
                Snapshot a = await SnapshotAsync(server, null).ConfigureAwait(false);
                if (allocTrace)
                {
                    await ServerCommandAsync(server, "allocs-reset").ConfigureAwait(false);
                }

                (JsonObject wrk, double wrkCpu) = await RunWrkAsync(connections, Math.Max(1, (int)Math.Round(measure)), url).ConfigureAwait(false);
                Snapshot b = await SnapshotAsync(server, null).ConfigureAwait(false);
                JsonObject? allocs = allocTrace ? await ServerCommandAsync(server, "allocs").ConfigureAwait(false) : null;
                b = b with { ClientCpu = wrkCpu };
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
                Cost(r, a, b, haveClientCpu: !double.IsNaN(wrkCpu));
                if (allocs is not null)
                {
                    r.AllocationsPerRt = AllocationsPerRt(allocs, r, a, b);
                }

                r.Ok = r.Rps > 0;
                r.Error = r.Ok ? null : "no requests";
                records.Add(r);
                Log(Describe(r));
            }

            await StopServerAsync(server).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsRunFailure(ex))
        {
            for (; next < connectionCounts.Count; next++)
            {
                RunRecord r = NewRecord(HttpGroup(serverName, allocTrace), serverName, connectionCounts[next], 0, rep);
                r.Ok = false;
                r.Error = ex.Message;
                records.Add(r);
                Log(Describe(r));
            }
        }
        finally
        {
            server?.Dispose();
        }

        return records;
    }

    private static string HttpGroup(string server, bool allocTrace) => (allocTrace, IsHttps(server)) switch
    {
        (true, true) => "allocs-https",
        (true, false) => "allocs-http",
        (false, true) => "https",
        (false, false) => "http",
    };

    /// <summary>
    /// One session of the HTTPS client (<c>Netpoll.Bench https</c>) against an HTTPS server: a JIT warm-up run, then the
    /// measured run. handshake / resumed: workers that each connect (a full or resumed TLS handshake), send one
    /// GET / with Connection: close, read the answer and close; keepalive: requests on connections opened before
    /// the window, so the server's allocations in it are per request after the handshake.
    /// </summary>
    private Task<RunRecord> HttpsClientSessionAsync(string serverName, int rep, string mode)
    {
        SuiteSettings s = _settings;
        string group = mode switch { "handshake" => "handshake", "resumed" => "handshake-resumed", _ => "https-steady" };
        RunRecord r = NewRecord(group, serverName, s.HandshakeConnections, 0, rep);
        return MeasureRunAsync(r, async () =>
        {
            using ChildProcess server = StartServer(serverName, http: true, pinned: true, pollers: 0);
            int port = await WaitReadyAsync(server).ConfigureAwait(false);
            string[] common = [_self, "https", "--target", $"127.0.0.1:{port}", "--connections", I(s.HandshakeConnections), "--mode", mode];
            using (ChildProcess warm = ChildProcess.Start([.. common, "--duration", D(s.JitWarmup), "--warmup", "0"], "1"))
            {
                await warm.WaitForLineAsync("RESULT ", TimeSpan.FromSeconds(s.JitWarmup + 120)).ConfigureAwait(false);
            }

            using ChildProcess client = ChildProcess.Start([.. common, "--duration", D(s.Measure), "--warmup", D(s.Warmup)], "1");
            await client.WaitForLineAsync("MARK ", TimeSpan.FromSeconds(s.Warmup + 120)).ConfigureAwait(false);
            Snapshot a = await SnapshotAsync(server, client).ConfigureAwait(false);
            await client.WaitForLineAsync("END ", TimeSpan.FromSeconds(s.Measure + 120)).ConfigureAwait(false);
            Snapshot b = await SnapshotAsync(server, client).ConfigureAwait(false);
            JsonObject result = JsonNode.Parse(await client.WaitForLineAsync("RESULT ", TimeSpan.FromSeconds(60)).ConfigureAwait(false))!.AsObject();
            FillClient(r, result);
            r.Resumed = result["resumed"]!.GetValue<long>();
            Cost(r, a, b, haveClientCpu: true);
            await client.WaitForExitAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);
            await StopServerAsync(server).ConfigureAwait(false);
            r.Ok = r.Rps > 0;
            r.Error = r.Ok ? null : $"no requests ({result["firstError"]})";
        });
    }

    /// <summary>Runs wrk on core 1; returns its summary and its CPU seconds (read as it prints the summary; NaN if it had already gone).</summary>
    private async Task<(JsonObject Summary, double Cpu)> RunWrkAsync(int connections, int seconds, string url)
    {
        using ChildProcess wrk = ChildProcess.Start(
            ["wrk", "-t1", "-c" + I(connections), "-d" + I(seconds) + "s", "--timeout", "5s", "-s", _wrkScript, url], "1");
        string line = await wrk.WaitForLineAsync("WRK ", TimeSpan.FromSeconds(seconds + 60)).ConfigureAwait(false);
        double cpu;
        try
        {
            cpu = ProcStat.CpuSeconds(wrk.Id);
        }
        catch (IOException)
        {
            cpu = double.NaN;
        }

        await wrk.WaitForExitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        return (JsonNode.Parse(line)!.AsObject(), cpu);
    }

    private Task<RunRecord> IdleAsync(string serverName, int connections)
    {
        RunRecord r = NewRecord("idle", serverName, connections, 0, 1);
        return MeasureRunAsync(r, async () =>
        {
            using ChildProcess server = StartServer(serverName, http: false, pinned: true, pollers: 0);
            int port = await WaitReadyAsync(server).ConfigureAwait(false);
            bool managed = !serverName.StartsWith("c-", StringComparison.Ordinal);
            JsonObject before = await ServerStatsAsync(server, collect: managed).ConfigureAwait(false);
            long rssBefore = ProcStat.RssBytes(server.Id);
            using ChildProcess client = ChildProcess.Start(
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
        });
    }

    private static async Task<JsonObject> ServerCommandAsync(ChildProcess server, string command)
    {
        await server.SendAsync(command).ConfigureAwait(false);
        string rest = await server.WaitForLineAsync("{", TimeSpan.FromSeconds(30)).ConfigureAwait(false);
        return JsonNode.Parse("{" + rest)!.AsObject();
    }

    /// <summary>Sampled bytes by type over the window, divided by the round trips in it (rate × the server-side window).</summary>
    private static Dictionary<string, double> AllocationsPerRt(JsonObject allocs, RunRecord r, Snapshot a, Snapshot b)
    {
        double wall = Stopwatch.GetElapsedTime(a.Timestamp, b.Timestamp).TotalSeconds;
        double requests = Math.Max(r.Rps * wall, 1);
        var perRt = new Dictionary<string, double>(StringComparer.Ordinal);
        if (allocs["allocs"] is JsonObject types)
        {
            foreach ((string type, JsonNode? bytes) in types)
            {
                perRt[type] = (bytes?.GetValue<long>() ?? 0) / requests;
            }
        }

        return perRt;
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
        text.AppendLine("# self time by thread (comm) and shared object");
        text.AppendLine(await PerfReportAsync(data, "--sort", "comm,dso", "--percent-limit", "0.5").ConfigureAwait(false));
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
