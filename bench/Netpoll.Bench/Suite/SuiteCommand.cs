using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Netpoll.Bench;

/// <summary>
/// <c>suite --mode short|full --floor PATH [--floor-uring PATH] --out DIR [--only GROUPS] [--servers LIST] [--repetitions N] [--connections LIST] [--client-backend auto|epoll|iouring]</c>: runs every scenario with the
/// server and the client as separate processes (server on core 0, client on core 1), repetitions
/// interleaved across servers, and writes DIR/results.json. <c>bench/run</c> calls it, then <c>report</c>.
/// </summary>
internal sealed partial class SuiteCommand
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull };

    private readonly SuiteSettings _settings; // the mode's, with --repetitions and --connections applied
    private readonly string _self;
    private readonly string _floor;
    private readonly string? _floorUring;
    private readonly HashSet<string>? _servers;
    private readonly string _wrkScript;
    private readonly string _outDir;
    private readonly HashSet<string> _only;
    private readonly bool _onlyNamed;
    private readonly SuiteResults _results;
    private readonly string _resultsPath;
    private readonly DateTime _deadline;
    private readonly string _certificate;

    private SuiteCommand(CommandLine options)
    {
        _settings = SuiteSettings.For(options.Get("mode", "short"));
        if (options.Get("repetitions") is not null)
        {
            _settings = _settings with { Repetitions = options.Int("repetitions", 1), CountingRepetitions = options.Int("repetitions", 1) };
        }

        if (options.Get("connections") is { } connections)
        {
            _settings = _settings with { Echo = [.. connections.Split(',').Select(c => (1024, int.Parse(c, CultureInfo.InvariantCulture)))] };
        }
        if (options.Get("client-backend") is { } clientBackend)
        {
            _settings = _settings with { EchoClientBackend = clientBackend is "auto" or "epoll" or "iouring" ? clientBackend : throw new ArgumentException($"--client-backend '{clientBackend}': use auto, epoll or iouring.") };
        }

        _self = Environment.ProcessPath ?? throw new InvalidOperationException("no process path");
        _floor = Path.GetFullPath(options.Get("floor") ?? throw new ArgumentException("suite needs --floor PATH (the compiled C epoll echo server)."));
        _wrkScript = Path.GetFullPath(options.Get("wrk-script") ?? throw new ArgumentException("suite needs --wrk-script PATH."));
        _outDir = Path.GetFullPath(options.Get("out") ?? throw new ArgumentException("suite needs --out DIR."));
        _floorUring = options.Get("floor-uring") is { } uring ? Path.GetFullPath(uring) : null;
        _servers = options.Get("servers") is { } servers ? [.. servers.Split(',', StringSplitOptions.RemoveEmptyEntries)] : null;
        _only = [.. options.Get("only", "echo,pollers,http,https,handshake,generator,proxy,idle,counting,allocs,profile").Split(',', StringSplitOptions.RemoveEmptyEntries)];
        _onlyNamed = options.Get("only") is not null;
        // A guard against a hung machine, not a schedule: a full run of every group takes ≈ 60 minutes here since the
        // io_uring, TLS, generator and proxy groups joined (28 minutes skipped all but idle and echo on 2026-11-30).
        _deadline = DateTime.UtcNow + TimeSpan.FromMinutes(options.Double("budget-minutes", _settings.Mode == "full" ? 100 : 4));
        Directory.CreateDirectory(_outDir);
        _certificate = BenchCertificate.Create(Path.Combine(Path.GetTempPath(), $"netpoll-bench-{Environment.ProcessId}.pfx"));
        _resultsPath = Path.Combine(_outDir, "results.json");
        _results = new SuiteResults
        {
            Mode = _settings.Mode,
            Command = options.Get("command", "bench/run"),
            Date = DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture),
            Machine = CpuModel(),
            Kernel = File.Exists("/proc/sys/kernel/osrelease") ? File.ReadAllText("/proc/sys/kernel/osrelease").Trim() : RuntimeInformation.OSDescription,
            Runtime = RuntimeInformation.FrameworkDescription,
            Sdk = options.Get("sdk", "?"),
            Commit = options.Get("commit", "?"),
            Cores = Environment.ProcessorCount,
            LoadBefore = ProcStat.LoadAverageLine(),
            JitWarmupSeconds = _settings.JitWarmup,
            WarmupSeconds = _settings.Warmup,
            MeasureSeconds = _settings.Measure,
            Repetitions = _settings.Repetitions,
        };
    }

    public static async Task<int> RunAsync(CommandLine options)
    {
        var suite = new SuiteCommand(options);
        return await suite.RunAllAsync().ConfigureAwait(false);
    }

    private static readonly string[] EchoServers = ["c-epoll", "c-uring", "c-uring-sqpoll", "netpoll", "netpoll-inline", "netpoll-uring", "netpoll-uring-inline", "netpoll-uring-sqpoll", "sockets", "sockets-inline"];
    private static readonly string[] HttpServers = ["netpoll", "netpoll-inline", "netpoll-mock-inline", "kestrel"];
    private static readonly string[] HttpsServers = ["netpoll-https", "netpoll-https-inline", "netpoll-https-uring-inline", "kestrel-https"];
    private static readonly string[] IdleServers = ["c-epoll", "c-uring", "netpoll", "netpoll-uring", "sockets", "kestrel"];

    /// <summary>
    /// Measured only when --servers names them: SQPOLL spins a kernel thread on a core of its own; the proxy on
    /// epoll is the comparison behind the proxy's Auto choice (docs/benchmarks.md), not a default run.
    /// </summary>
    private static readonly string[] OptIn = ["c-uring-sqpoll", "netpoll-uring-sqpoll", "netpoll-proxy-epoll"];

    /// <summary>The servers of <paramref name="list"/> this run covers: those --servers names (all but the opt-in ones by default), the C io_uring floor only when built.</summary>
    private IEnumerable<string> Servers(params string[] list) =>
        list.Where(s => (!s.StartsWith("c-uring", StringComparison.Ordinal) || _floorUring is not null)
            && (_servers is null ? !OptIn.Contains(s) : _servers.Contains(s)));

    private async Task<int> RunAllAsync()
    {
        var clock = Stopwatch.StartNew();
        SuiteSettings s = _settings;
        Log($"suite {s.Mode}: {s.Repetitions} repetition(s), JIT warm-up {s.JitWarmup} s per process, warm-up {s.Warmup} s, window {s.Measure} s; load {_results.LoadBefore}");

        // Idle first: it needs the most ports and is the least disturbed by TIME_WAIT from the others.
        if (_only.Contains("idle"))
        {
            foreach (string server in Servers(IdleServers))
            {
                await RecordAsync(async () => [await IdleAsync(server, s.IdleConnections).ConfigureAwait(false)]).ConfigureAwait(false);
            }
        }

        if (_only.Contains("echo"))
        {
            for (int rep = 1; rep <= s.Repetitions; rep++)
            {
                foreach (string server in Servers(EchoServers))
                {
                    await RecordAsync(() => EchoSessionAsync(new EchoSession("echo", server, rep, s.Echo))).ConfigureAwait(false);
                }
            }
        }

        if (_only.Contains("pollers"))
        {
            for (int rep = 1; rep <= s.PollerRepetitions; rep++)
            {
                foreach (bool pinned in s.PollerPlacements)
                {
                    foreach (string server in Servers("netpoll", "netpoll-inline"))
                    {
                        foreach (int pollers in new[] { 1, 2 })
                        {
                            await RecordAsync(() => EchoSessionAsync(new EchoSession("pollers", server, rep, [(1024, 1000)]) { Pollers = pollers, Pinned = pinned })).ConfigureAwait(false);
                        }
                    }
                }
            }
        }

        if (_only.Contains("http"))
        {
            for (int rep = 1; rep <= s.Repetitions; rep++)
            {
                foreach (string server in Servers(HttpServers))
                {
                    await RecordAsync(() => HttpSessionAsync(server, rep, s.HttpConnections)).ConfigureAwait(false);
                }
            }
        }

        if (_only.Contains("https"))
        {
            for (int rep = 1; rep <= s.Repetitions; rep++)
            {
                foreach (string server in Servers(HttpsServers))
                {
                    await RecordAsync(() => HttpSessionAsync(server, rep, s.HttpsConnections)).ConfigureAwait(false);
                    await RecordAsync(async () => [await HttpsClientSessionAsync(server, rep, "keepalive").ConfigureAwait(false)]).ConfigureAwait(false);
                }
            }
        }

        if (_only.Contains("handshake"))
        {
            for (int rep = 1; rep <= s.Repetitions; rep++)
            {
                foreach (string server in Servers(HttpsServers))
                {
                    foreach (string mode in new[] { "handshake", "resumed" })
                    {
                        await RecordAsync(async () => [await HttpsClientSessionAsync(server, rep, mode).ConfigureAwait(false)]).ConfigureAwait(false);
                    }
                }
            }
        }

        if (_only.Contains("generator"))
        {
            for (int rep = 1; rep <= s.Repetitions; rep++)
            {
                foreach (string server in Servers("netpoll", "kestrel"))
                {
                    await RecordAsync(() => GeneratorSessionAsync(server, rep)).ConfigureAwait(false);
                }
            }

            if (Servers("netpoll").Any())
            {
                await RecordAsync(async () => [await GeneratorMemoryAsync("idle").ConfigureAwait(false)]).ConfigureAwait(false);
                await RecordAsync(async () => [await GeneratorMemoryAsync("http").ConfigureAwait(false)]).ConfigureAwait(false);
                await RecordAsync(async () => [await WrkMemoryAsync().ConfigureAwait(false)]).ConfigureAwait(false);
            }
        }

        if (_only.Contains("proxy"))
        {
            string[] proxies = [.. ProxiesAvailable()];
            for (int rep = 1; rep <= s.Repetitions; rep++)
            {
                foreach (string proxy in proxies)
                {
                    await RecordAsync(() => ProxySessionAsync(proxy, rep, [(1024, 1000)])).ConfigureAwait(false);
                }
            }
        }

        // The perf stat pass: in a full run, or whenever --only names it.
        if (_only.Contains("counting") && (s.Counting || _onlyNamed))
        {
            for (int rep = 1; rep <= s.CountingRepetitions; rep++)
            {
                foreach (string server in Servers(EchoServers))
                {
                    await RecordAsync(() => EchoSessionAsync(new EchoSession("counting", server, rep, [(1024, 100), (1024, 1000)]) { Count = true })).ConfigureAwait(false);
                }
            }
        }

        if (_only.Contains("allocs") && (s.Counting || _onlyNamed))
        {
            foreach (string server in Servers("netpoll", "netpoll-inline", "netpoll-uring", "netpoll-uring-inline", "sockets"))
            {
                await RecordAsync(() => EchoSessionAsync(new EchoSession("allocs", server, 1, [(1024, 1000)]) { AllocTrace = true })).ConfigureAwait(false);
            }

            foreach (string server in Servers([.. HttpServers, .. HttpsServers]))
            {
                await RecordAsync(() => HttpSessionAsync(server, 1, [(IsHttps(server) ? s.HttpsConnections : s.HttpConnections).Max()], allocTrace: true)).ConfigureAwait(false);
            }
        }

        if (_only.Contains("profile") && (s.Profiles || _onlyNamed))
        {
            foreach (string server in Servers("c-epoll", "c-uring", "netpoll", "netpoll-inline", "netpoll-uring-inline", "sockets"))
            {
                await RecordAsync(() => EchoSessionAsync(new EchoSession("profile", server, 1, [(1024, 1000)]) { Profile = true })).ConfigureAwait(false);
            }
        }

        _results.LoadAfter = ProcStat.LoadAverageLine();
        _results.DurationSeconds = clock.Elapsed.TotalSeconds;
        Save();
        File.Delete(_certificate);
        int failed = _results.Runs.Count(r => !r.Ok);
        Log($"suite done in {clock.Elapsed.TotalSeconds:0} s: {_results.Runs.Count} runs, {failed} failed; load {_results.LoadAfter}; {_resultsPath}");
        return 0;
    }

    /// <summary>Runs one session (one server process, one or more measurements) unless the time budget is spent.</summary>
    private async Task RecordAsync(Func<Task<List<RunRecord>>> session)
    {
        if (DateTime.UtcNow > _deadline)
        {
            Log("time budget spent: skipping the remaining runs");
            return;
        }

        await WaitForQuietAsync().ConfigureAwait(false);
        List<RunRecord> records = await session().ConfigureAwait(false);
        _results.Runs.AddRange(records);
        Save(); // a session that dies half-way still leaves what was measured
    }

    /// <summary>
    /// Measures one run: <paramref name="measure"/> fills <paramref name="r"/>, its child processes in <c>using</c>
    /// declarations (gone when it ends, however it ends). A run whose processes fail is recorded as failed with
    /// why, and the suite goes on; the run is logged either way.
    /// </summary>
    private async Task<RunRecord> MeasureRunAsync(RunRecord r, Func<Task> measure)
    {
        try
        {
            await measure().ConfigureAwait(false);
        }
        catch (Exception ex) when (IsRunFailure(ex))
        {
            r.Ok = false;
            r.Error = ex.Message;
        }

        Log(Describe(r));
        return r;
    }

    /// <summary>How a run's child processes fail: one times out or exits early, or prints what is not the JSON expected.</summary>
    private static bool IsRunFailure(Exception ex) =>
        ex is TimeoutException or InvalidOperationException or IOException or FormatException or JsonException or NullReferenceException;

    /// <summary>
    /// Before a run, waits (bounded) until the rest of the machine uses under 0.3 cores over half a second,
    /// so runs start in the quiet moments of a shared machine. Each run records what others used anyway.
    /// </summary>
    private async Task WaitForQuietAsync()
    {
        double maxWait = _settings.Mode == "full" ? 3 : 0;
        var waited = Stopwatch.StartNew();
        while (waited.Elapsed.TotalSeconds < maxWait)
        {
            double before = ProcStat.MachineBusySeconds();
            await Task.Delay(500).ConfigureAwait(false);
            double busy = (ProcStat.MachineBusySeconds() - before) / 0.5;
            if (busy < 0.3)
            {
                return;
            }
        }
    }

    private void Save() => File.WriteAllText(_resultsPath, JsonSerializer.Serialize(_results, Json));

    private static string Describe(RunRecord r) => !r.Ok
        ? $"  {r.Group,-8} {r.Server,-15} c={r.Connections} FAILED: {r.Error}"
        : r.Group is "generator" or "generator-memory"
            ? $"  {r.Group,-8} {r.Server,-15} client={r.Client,-12} c={r.Connections} rep={r.Rep}: {r.Rps,9:0} req/s, client cpu {r.ClientCpu:0.00}, {r.RtPerClientCpuSecond,9:0} req/client-cpu-s, p99 {r.P99Us:0} us, rss/conn={r.RssPerConnection:0} B, opened {r.ConnectionsOpened}, jit {r.JitMsInWindow:0} ms, err {r.Errors}"
        : r.Group == "idle"
            ? $"  idle     {r.Server,-15} c={r.ConnectionsOpened} rss/conn={r.RssPerConnection:0} B managed/conn={r.ManagedPerConnection:0} B rented={r.RentedBlocks}"
            : $"  {r.Group,-8} {r.Server,-15} c={r.Connections} s={r.Size} p={r.Pollers} pin={(r.Pinned ? 1 : 0)} rep={r.Rep}: {r.Rps,9:0} rt/s, cpu {r.ServerCpu:0.00}, {r.RtPerCpuSecond,9:0} rt/cpu-s, p99 {r.P99Us:0} us, ctx/rt {r.CtxPerRt:0.00}, alloc/rt {r.AllocBytesPerRt:0.0}, foreign {r.ForeignCpu:0.00}, err {r.Errors}";

    private static void Log(string line)
    {
        Console.Error.WriteLine($"[{DateTime.Now:HH:mm:ss}] {line}");
    }

    private static string CpuModel()
    {
        try
        {
            string? model = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
            return model is null ? "?" : model[(model.IndexOf(':') + 1)..].Trim();
        }
        catch (IOException)
        {
            return "?";
        }
    }

    // ---------------------------------------------------------------- servers

    private ChildProcess StartServer(string server, bool http, bool pinned, int pollers, bool perfMap = false, bool allocTrace = false)
    {
        var env = new Dictionary<string, string>();
        List<string> command;
        if (server == "c-epoll")
        {
            command = [_floor, "0"];
        }
        else if (server == "c-uring")
        {
            command = [_floorUring!, "0"];
        }
        else if (server == "c-uring-sqpoll")
        {
            command = [_floorUring!, "0", "sqpoll"];
        }
        else
        {
            string kind = server switch
            {
                "sockets-inline" => "sockets",
                "netpoll" when http => "netpoll-http",
                "netpoll-inline" when http => "netpoll-http-inline",
                "netpoll-mock-inline" => "netpoll-http-mock-inline",
                _ => server,
            };
            command = [_self, "server", kind, "--port", "0"];
            if (IsHttps(server))
            {
                command.AddRange(["--cert", _certificate]);
            }

            if (pollers > 0)
            {
                command.AddRange(["--pollers", pollers.ToString(CultureInfo.InvariantCulture)]);
            }

            if (allocTrace)
            {
                command.Add("--alloc-trace");
            }

            if (server == "sockets-inline")
            {
                env["DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS"] = "1";
            }

            if (perfMap)
            {
                // JIT symbols for perf: a perf-PID.map, and no W^X double mapping (perf cannot see through it).
                env["DOTNET_PerfMapEnabled"] = "1";
                env["DOTNET_EnableWriteXorExecute"] = "0";
            }
        }

        return ChildProcess.Start(command, pinned ? "0" : null, env);
    }

    /// <summary>The HTTPS servers: their sessions use https:// and the run's certificate.</summary>
    private static bool IsHttps(string server) => server.Contains("-https", StringComparison.Ordinal);

    private static async Task<int> WaitReadyAsync(ChildProcess server) =>
        int.Parse(await server.WaitForLineAsync("READY ", TimeSpan.FromSeconds(30)).ConfigureAwait(false), CultureInfo.InvariantCulture);

    private static async Task StopServerAsync(ChildProcess server)
    {
        if (server.HasExited)
        {
            return;
        }

        try
        {
            await server.SendAsync("quit").ConfigureAwait(false);
        }
        catch (IOException)
        {
        }

        await server.WaitForExitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
    }

    private static async Task<JsonObject> ServerStatsAsync(ChildProcess server, bool collect = false)
    {
        await server.SendAsync(collect ? "gc" : "stats").ConfigureAwait(false);
        string rest = await server.WaitForLineAsync("{", TimeSpan.FromSeconds(30)).ConfigureAwait(false);
        return JsonNode.Parse("{" + rest)!.AsObject();
    }

    private static long Num(JsonObject o, string name) => o.TryGetPropertyValue(name, out JsonNode? n) && n is not null ? n.GetValue<long>() : -1;

    /// <summary>Counters of the server (and client) at one instant of the measured window.</summary>
    private sealed record Snapshot(long Timestamp, double ServerCpu, long Voluntary, long Nonvoluntary, int Threads, double ClientCpu, double MachineBusy, JsonObject Stats);

    private static async Task<Snapshot> SnapshotAsync(ChildProcess server, ChildProcess? client)
    {
        long t = Stopwatch.GetTimestamp();
        double cpu = ProcStat.CpuSeconds(server.Id);
        (long v, long nv, int threads) = ProcStat.ContextSwitches(server.Id);
        double clientCpu = client is null || client.HasExited ? 0 : ProcStat.CpuSeconds(client.Id);
        double machine = ProcStat.MachineBusySeconds();
        JsonObject stats = await ServerStatsAsync(server).ConfigureAwait(false);
        return new Snapshot(t, cpu, v, nv, threads, clientCpu, machine, stats);
    }

    /// <summary>Fills the server-cost fields from two snapshots and the client's round-trip rate.</summary>
    private static void Cost(RunRecord r, Snapshot a, Snapshot b, bool haveClientCpu)
    {
        double wall = Stopwatch.GetElapsedTime(a.Timestamp, b.Timestamp).TotalSeconds;
        r.ServerCpu = (b.ServerCpu - a.ServerCpu) / wall;
        r.ClientCpu = haveClientCpu ? (b.ClientCpu - a.ClientCpu) / wall : 0;
        r.ForeignCpu = Math.Max(0, (b.MachineBusy - a.MachineBusy) / wall - r.ServerCpu - r.ClientCpu);
        double rate = Math.Max(r.Rps, 1e-9);
        r.RtPerCpuSecond = r.Rps / Math.Max(r.ServerCpu, 1e-9);
        r.VoluntaryCtxPerRt = (b.Voluntary - a.Voluntary) / wall / rate;
        r.NonvoluntaryCtxPerRt = (b.Nonvoluntary - a.Nonvoluntary) / wall / rate;
        r.CtxPerRt = r.VoluntaryCtxPerRt + r.NonvoluntaryCtxPerRt;
        r.ServerThreads = b.Threads;
        long allocA = Num(a.Stats, "allocatedBytes"), allocB = Num(b.Stats, "allocatedBytes");
        if (allocA >= 0 && allocB >= 0)
        {
            r.AllocBytesPerRt = (allocB - allocA) / wall / rate;
            r.Gen0Collections = Num(b.Stats, "gen0") - Num(a.Stats, "gen0");
        }
    }
}
