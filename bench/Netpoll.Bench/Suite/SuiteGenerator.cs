using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Netpoll.Bench;

/// <summary>
/// The "generator" group: the load generator itself measured against wrk, the tool a user would pick instead.
/// Against one HTTP server process (server on core 0, each client on core 1): <c>GET /</c> keep-alive over
/// <see cref="SuiteSettings.GeneratorConnections"/> connections from <c>wrk -t1</c>, then from Netpoll's
/// generator (one poller), each scored in requests per client CPU-second over the same window length. And the
/// generator's own memory per open connection: RSS before and after it opens
/// <see cref="SuiteSettings.GeneratorIdleConnections"/> idle connections.
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
            wrk.ClientCpu = wrkCpu / Math.Max(wrk.WindowSeconds, 1e-9);
            wrk.RtPerClientCpuSecond = wrk.WindowRequests / wrkCpu;
            wrk.Ok = wrk.WindowRequests > 0 && !double.IsNaN(wrkCpu);
            wrk.Error = wrk.Ok ? null : "no requests or no CPU reading";
            records.Add(wrk);
            Log(Describe(wrk));

            records.Add(await MeasureGeneratorAsync(serverName, rep, port, connections, seconds).ConfigureAwait(false));
            Log(Describe(records[^1]));
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

    /// <summary>Netpoll's generator in its own process; its CPU is read at the window's start (MARK) and end (END).</summary>
    private async Task<RunRecord> MeasureGeneratorAsync(string serverName, int rep, int port, int connections, int seconds)
    {
        RunRecord r = NewRecord("generator", serverName, connections, 0, rep);
        r.Client = "netpoll-load";
        using ChildProcess client = ChildProcess.Start(
            [_self, "client", "--target", $"127.0.0.1:{port}", "--pattern", "http", "--connections", I(connections), "--pollers", "1",
             "--warmup", D(_settings.JitWarmup), "--duration", I(seconds)], "1");
        await client.WaitForLineAsync("MARK ", TimeSpan.FromSeconds(120)).ConfigureAwait(false);
        double cpuAtMark = ProcStat.CpuSeconds(client.Id);
        await client.WaitForLineAsync("END ", TimeSpan.FromSeconds(seconds + 60)).ConfigureAwait(false);
        double cpuAtEnd = ProcStat.CpuSeconds(client.Id);
        JsonObject result = JsonNode.Parse(await client.WaitForLineAsync("RESULT ", TimeSpan.FromSeconds(60)).ConfigureAwait(false))!.AsObject();
        await client.WaitForExitAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);
        FillClient(r, result);
        double cpu = cpuAtEnd - cpuAtMark;
        r.ClientCpu = cpu / Math.Max(r.WindowSeconds, 1e-9);
        r.RtPerClientCpuSecond = r.WindowRequests / Math.Max(cpu, 1e-9);
        r.Ok = r.WindowRequests > 0 && cpu > 0;
        r.Error = r.Ok ? null : "no requests or no CPU reading";
        return r;
    }

    /// <summary>The generator's resident memory per open connection: idle connections to a Netpoll echo server, RSS before the run and with all open.</summary>
    private Task<RunRecord> GeneratorMemoryAsync()
    {
        int connections = _settings.GeneratorIdleConnections;
        RunRecord r = NewRecord("generator-memory", "netpoll", connections, 0, 1);
        r.Client = "netpoll-load";
        return MeasureRunAsync(r, async () =>
        {
            using ChildProcess server = StartServer("netpoll", http: false, pinned: true, pollers: 0);
            int port = await WaitReadyAsync(server).ConfigureAwait(false);
            using ChildProcess client = ChildProcess.Start(
                [_self, "client", "--target", $"127.0.0.1:{port}", "--connections", I(connections), "--pattern", "idle",
                 "--sources", I(_settings.IdleSources), "--warmup", "0", "--pollers", "1", "--wait-go"], "1");
            await client.WaitForLineAsync("WAITING ", TimeSpan.FromSeconds(60)).ConfigureAwait(false);
            long before = ProcStat.RssBytes(client.Id);
            await client.SendAsync("go").ConfigureAwait(false);
            await client.WaitForLineAsync("MARK ", TimeSpan.FromSeconds(120)).ConfigureAwait(false);
            await Task.Delay(1000).ConfigureAwait(false);
            long after = ProcStat.RssBytes(client.Id);
            await client.SendAsync("stop").ConfigureAwait(false);
            JsonObject result = JsonNode.Parse(await client.WaitForLineAsync("RESULT ", TimeSpan.FromSeconds(60)).ConfigureAwait(false))!.AsObject();
            r.ConnectionsOpened = result["connectionsOpened"]!.GetValue<int>();
            r.Errors = result["errors"]!.GetValue<long>();
            r.RssDeltaBytes = after - before;
            r.RssPerConnection = (double)r.RssDeltaBytes / Math.Max(r.ConnectionsOpened, 1);
            await client.WaitForExitAsync(TimeSpan.FromSeconds(60)).ConfigureAwait(false);
            await StopServerAsync(server).ConfigureAwait(false);
            r.Ok = r.ConnectionsOpened > 0;
            r.Error = r.Ok ? null : "no connection opened";
        });
    }
}
