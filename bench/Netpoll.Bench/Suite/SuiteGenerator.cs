using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Netpoll.Bench;

/// <summary>
/// The "generator" group: the load generator itself measured against wrk, the tool a user would pick instead.
/// Against one HTTP server process (server on core 0, each client on core 1): <c>GET /</c> keep-alive over
/// <see cref="SuiteSettings.GeneratorConnections"/> connections from <c>wrk -t1</c>, then from Netpoll's
/// generator (one poller) on the backend a user gets (Auto: io_uring where the kernel allows it, since the
/// generator's handlers run inline) and on epoll, each scored in requests per client CPU-second over the same
/// window length. And memory per open connection at <see cref="SuiteSettings.GeneratorIdleConnections"/>:
/// the generator's RSS before and after it opens them (idle, and loading <c>GET /</c>), and wrk's RSS loading
/// as many against its RSS with one.
/// </summary>
internal sealed partial class SuiteCommand
{
    private async Task<List<RunRecord>> GeneratorSessionAsync(string serverName, int rep)
    {
        var records = new List<RunRecord>();
        SuiteSettings s = _settings;
        int connections = s.GeneratorConnections;
        int seconds = Math.Max(1, (int)Math.Round(s.Measure));
        ChildProcess? server = null;
        try
        {
            server = StartServer(serverName, http: true, pinned: true, pollers: 0);
            int port = await WaitReadyAsync(server).ConfigureAwait(false);
            string url = $"http://127.0.0.1:{port}/";
            await RunWrkAsync(connections, Math.Max(1, (int)Math.Round(s.JitWarmup)), url).ConfigureAwait(false);

            RunRecord wrk = NewRecord("generator", serverName, connections, 0, rep);
            wrk.Client = "wrk";
            (JsonObject summary, double wrkCpu) = await RunWrkAsync(connections, seconds, url).ConfigureAwait(false);
            wrk.WindowRequests = summary["requests"]!.GetValue<long>();
            wrk.WindowSeconds = summary["duration_us"]!.GetValue<double>() / 1e6;
            wrk.Rps = wrk.WindowRequests / Math.Max(wrk.WindowSeconds, 1e-9);
            wrk.P99Us = summary["p99"]!.GetValue<double>();
            wrk.Errors = summary["errors"]!.GetValue<long>();
            // No CPU reading (wrk gone before it was read) is a failed run, never NaN or infinity in results.json.
            wrk.Ok = wrk.WindowRequests > 0 && double.IsFinite(wrkCpu) && wrkCpu > 0;
            wrk.ClientCpu = wrk.Ok ? wrkCpu / Math.Max(wrk.WindowSeconds, 1e-9) : 0;
            wrk.RtPerClientCpuSecond = wrk.Ok ? wrk.WindowRequests / wrkCpu : 0;
            wrk.Error = wrk.Ok ? null : "no requests or no CPU reading";
            records.Add(wrk);
            Log(Describe(wrk));

            foreach (string backend in GeneratorBackends)
            {
                records.Add(await MeasureGeneratorAsync(serverName, rep, port, connections, seconds, backend).ConfigureAwait(false));
                Log(Describe(records[^1]));
            }
            await StopServerAsync(server).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsRunFailure(ex))
        {
            RunRecord r = NewRecord("generator", serverName, connections, 0, rep);
            r.Ok = false;
            r.Error = ex.Message;
            records.Add(r);
            Log(Describe(r));
        }
        finally
        {
            server?.Dispose();
        }

        return records;
    }

    /// <summary>
    /// The runtime settings Invoke-NetpollLoad -Isolated starts its worker with (the module's LoadWorkerRuntime), so
    /// the generator is measured as a user runs it: call counting at once, which matters on the one CPU the client
    /// is pinned to (the runtime multiplies its 100 ms tier-up delay by 10 when it sees a single CPU).
    /// </summary>
    private static readonly Dictionary<string, string> WorkerRuntime = new() { ["DOTNET_TC_CallCountingDelayMs"] = "0" };

    /// <summary>The generator's backends: what Auto picks (a user's default), and epoll.</summary>
    private static readonly string[] GeneratorBackends = ["auto", "epoll"];

    /// <summary>The client name of a generator run: netpoll-load on Auto, netpoll-load-BACKEND otherwise.</summary>
    private static string GeneratorClient(string backend) => backend == "auto" ? "netpoll-load" : "netpoll-load-" + backend;

    /// <summary>Netpoll's generator in its own process; its CPU is read at the window's start (MARK) and end (END).</summary>
    private async Task<RunRecord> MeasureGeneratorAsync(string serverName, int rep, int port, int connections, int seconds, string backend)
    {
        RunRecord r = NewRecord("generator", serverName, connections, 0, rep);
        r.Client = GeneratorClient(backend);
        using ChildProcess client = ChildProcess.Start(
            [_self, "client", "--target", $"127.0.0.1:{port}", "--pattern", "http", "--connections", I(connections), "--pollers", "1",
             "--warmup", D(_settings.GeneratorWarmup), "--duration", I(seconds), "--backend", backend], "1", WorkerRuntime);
        await client.WaitForLineAsync("MARK ", TimeSpan.FromSeconds(_settings.GeneratorWarmup + 120)).ConfigureAwait(false);
        double cpuAtMark = ProcStat.CpuSeconds(client.Id);
        await client.WaitForLineAsync("END ", TimeSpan.FromSeconds(seconds + 60)).ConfigureAwait(false);
        double cpuAtEnd = ProcStat.CpuSeconds(client.Id);
        JsonObject result = JsonNode.Parse(await client.WaitForLineAsync("RESULT ", TimeSpan.FromSeconds(60)).ConfigureAwait(false))!.AsObject();
        await client.WaitForExitAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);
        FillClient(r, result);
        r.AllocBytesPerRt = result["allocBytesPerRequest"]?.GetValue<double>();
        r.JitMsInWindow = result["jitMsInWindow"]?.GetValue<double>();
        double cpu = cpuAtEnd - cpuAtMark;
        r.ClientCpu = cpu / Math.Max(r.WindowSeconds, 1e-9);
        r.RtPerClientCpuSecond = r.WindowRequests / Math.Max(cpu, 1e-9);
        r.Ok = r.WindowRequests > 0 && cpu > 0;
        r.Error = r.Ok ? null : "no requests or no CPU reading";
        return r;
    }

    /// <summary>
    /// The generator's resident memory per open connection (Auto backend): RSS once the process is up and with
    /// every connection open, idle (to a Netpoll echo server) or loading <c>GET /</c> keep-alive (to a Netpoll
    /// HTTP server), each in its own processes.
    /// </summary>
    private Task<RunRecord> GeneratorMemoryAsync(string pattern)
    {
        int connections = _settings.GeneratorIdleConnections;
        bool http = pattern == "http";
        RunRecord r = NewRecord("generator-memory", http ? "netpoll-http" : "netpoll", connections, 0, 1);
        r.Client = http ? "netpoll-load (GET /)" : "netpoll-load (idle)";
        return MeasureRunAsync(r, async () =>
        {
            using ChildProcess server = StartServer("netpoll", http, pinned: true, pollers: 0);
            int port = await WaitReadyAsync(server).ConfigureAwait(false);
            using ChildProcess client = ChildProcess.Start(
                [_self, "client", "--target", $"127.0.0.1:{port}", "--connections", I(connections), "--pattern", pattern,
                 "--sources", I(_settings.IdleSources), "--warmup", "0", "--pollers", "1", "--wait-go", "--duration", "3", "--backend", "auto"], "1");
            await client.WaitForLineAsync("WAITING ", TimeSpan.FromSeconds(60)).ConfigureAwait(false);
            long before = ProcStat.RssBytes(client.Id);
            await client.SendAsync("go").ConfigureAwait(false);
            await client.WaitForLineAsync("MARK ", TimeSpan.FromSeconds(_settings.GeneratorWarmup + 120)).ConfigureAwait(false);
            await Task.Delay(1000).ConfigureAwait(false);
            long after = ProcStat.RssBytes(client.Id);
            if (!http)
            {
                await client.SendAsync("stop").ConfigureAwait(false); // an HTTP run ends by itself, 3 s after MARK
            }

            JsonObject result = JsonNode.Parse(await client.WaitForLineAsync("RESULT ", TimeSpan.FromSeconds(60)).ConfigureAwait(false))!.AsObject();
            r.ConnectionsOpened = result["connectionsOpened"]!.GetValue<int>();
            r.Errors = result["errors"]!.GetValue<long>();
            r.Rps = http ? result["rps"]!.GetValue<double>() : 0;
            r.RssDeltaBytes = after - before;
            r.RssPerConnection = (double)r.RssDeltaBytes / Math.Max(r.ConnectionsOpened, 1);
            await client.WaitForExitAsync(TimeSpan.FromSeconds(60)).ConfigureAwait(false);
            await StopServerAsync(server).ConfigureAwait(false);
            r.Ok = r.ConnectionsOpened > 0;
            r.Error = r.Ok ? null : "no connection opened";
        });
    }

    /// <summary>
    /// wrk's resident memory per open connection: <c>wrk -t1</c> loading <c>GET /</c> keep-alive over as many
    /// connections as the generator held (a long timeout, so slow connects are not dropped), against wrk with one
    /// connection; RSS read mid-run. The server (a Netpoll HTTP server) is another process.
    /// </summary>
    private Task<RunRecord> WrkMemoryAsync()
    {
        int connections = _settings.GeneratorIdleConnections;
        RunRecord r = NewRecord("generator-memory", "netpoll-http", connections, 0, 1);
        r.Client = "wrk";
        return MeasureRunAsync(r, async () =>
        {
            using ChildProcess server = StartServer("netpoll", http: true, pinned: true, pollers: 0);
            int port = await WaitReadyAsync(server).ConfigureAwait(false);
            string url = $"http://127.0.0.1:{port}/";
            (long one, _) = await WrkRssAsync(1, url).ConfigureAwait(false);
            (long many, JsonObject summary) = await WrkRssAsync(connections, url).ConfigureAwait(false);
            long connectErrors = summary["connect"]!.GetValue<long>();
            r.ConnectionsOpened = (int)Math.Max(0, connections - connectErrors);
            r.Errors = summary["errors"]!.GetValue<long>();
            r.Rps = summary["requests"]!.GetValue<long>() / Math.Max(summary["duration_us"]!.GetValue<double>() / 1e6, 1e-9);
            r.RssDeltaBytes = many - one;
            r.RssPerConnection = (double)r.RssDeltaBytes / Math.Max(r.ConnectionsOpened - 1, 1);
            await StopServerAsync(server).ConfigureAwait(false);
            r.Ok = r.ConnectionsOpened > 1;
            r.Error = r.Ok ? null : "wrk opened no connection";
        });
    }

    /// <summary>Runs wrk for 6 s over <paramref name="connections"/> and reads its RSS 4 s in (connects done).</summary>
    private async Task<(long Rss, JsonObject Summary)> WrkRssAsync(int connections, string url)
    {
        using ChildProcess wrk = ChildProcess.Start(
            ["wrk", "-t1", "-c" + I(connections), "-d6s", "--timeout", "60s", "-s", _wrkScript, url], "1");
        await Task.Delay(4000).ConfigureAwait(false);
        long rss = ProcStat.RssBytes(wrk.Id);
        string line = await wrk.WaitForLineAsync("WRK ", TimeSpan.FromSeconds(90)).ConfigureAwait(false);
        await wrk.WaitForExitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        return (rss, JsonNode.Parse(line)!.AsObject());
    }
}
