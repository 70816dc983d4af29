using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Netpoll.Bench;

/// <summary>
/// The proxy comparison: the C epoll echo server behind a proxy, the load generator in front. The proxy
/// runs alone on core 0 (the echo server and the client share core 1); the cost is the proxy's CPU (its
/// whole process tree: socat forks one process per connection) per round trip.
/// </summary>
internal sealed partial class SuiteCommand
{
    private static readonly string[] ProxyServers = ["netpoll-proxy", "netpoll-proxy-epoll", "haproxy", "socat"];

    private async Task<List<RunRecord>> ProxySessionAsync(string proxyName, int rep, IReadOnlyList<(int Size, int Connections)> configs)
    {
        var records = new List<RunRecord>();
        SuiteSettings s = _settings;
        ChildProcess? echo = null, proxy = null, client = null;
        string? config = null;
        int next = 0;
        try
        {
            echo = ChildProcess.Start([_floor, "0"], "1");
            int echoPort = await WaitReadyAsync(echo).ConfigureAwait(false);
            (proxy, int port, config) = await StartProxyAsync(proxyName, echoPort).ConfigureAwait(false);
            client = ChildProcess.Start([_self, "client", "--jobs", "--target", $"127.0.0.1:{port}"], "1");
            await client.SendAsync($"run --connections 1000 --size 1024 --duration {D(s.ProxyWarmup)} --warmup 0 --pollers 1").ConfigureAwait(false);
            await client.WaitForLineAsync("RESULT ", TimeSpan.FromSeconds(s.ProxyWarmup + 120)).ConfigureAwait(false);

            for (; next < configs.Count; next++)
            {
                (int size, int connections) = configs[next];
                RunRecord r = NewRecord("proxy", proxyName, connections, size, rep);
                r.Pollers = IsNetpollProxy(proxyName) ? 1 : 0;
                await client.SendAsync($"run --connections {I(connections)} --size {I(size)} --duration {D(s.Measure)} --warmup {D(s.Warmup)} --pollers 1").ConfigureAwait(false);
                await client.WaitForLineAsync("MARK ", TimeSpan.FromSeconds(s.Warmup + 120)).ConfigureAwait(false);
                Snapshot a = ProxySnapshot(proxy, client);
                await client.WaitForLineAsync("END ", TimeSpan.FromSeconds(s.Measure + 60)).ConfigureAwait(false);
                Snapshot b = ProxySnapshot(proxy, client);
                FillClient(r, JsonNode.Parse(await client.WaitForLineAsync("RESULT ", TimeSpan.FromSeconds(60)).ConfigureAwait(false))!.AsObject());
                Cost(r, a, b, haveClientCpu: true);
                r.Ok = r.Rps > 0;
                r.Error = r.Ok ? null : "no round trips";
                records.Add(r);
                Log(Describe(r));
            }

            await client.SendAsync("quit").ConfigureAwait(false);
            await client.WaitForExitAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsRunFailure(ex) || ex is SocketException or System.ComponentModel.Win32Exception)
        {
            for (; next < configs.Count; next++)
            {
                RunRecord r = NewRecord("proxy", proxyName, configs[next].Connections, configs[next].Size, rep);
                r.Ok = false;
                r.Error = ex.Message;
                records.Add(r);
                Log(Describe(r));
            }
        }
        finally
        {
            client?.Dispose();
            proxy?.Dispose();
            echo?.Dispose();
            if (config is not null)
            {
                File.Delete(config);
            }
        }

        return records;
    }

    /// <summary>Starts the proxy on core 0 in front of 127.0.0.1:<paramref name="echoPort"/>; returns it, its port and its config file (HAProxy).</summary>
    private async Task<(ChildProcess Proxy, int Port, string? Config)> StartProxyAsync(string proxyName, int echoPort)
    {
        string upstream = $"127.0.0.1:{echoPort}";
        if (IsNetpollProxy(proxyName))
        {
            ChildProcess netpoll = ChildProcess.Start([_self, "server", proxyName, "--port", "0", "--upstream", upstream, "--pollers", "1"], "0");
            return (netpoll, await WaitReadyAsync(netpoll).ConfigureAwait(false), null);
        }

        int port = FreePort();
        string? config = null;
        ChildProcess started;
        if (proxyName == "haproxy")
        {
            // Plain TCP mode, one thread, loopback only; timeouts long enough never to fire during a run.
            config = Path.Combine(Path.GetTempPath(), $"netpoll-bench-haproxy-{Environment.ProcessId}-{port}.cfg");
            await File.WriteAllTextAsync(config, string.Join('\n',
                "global", "    nbthread 1", "    maxconn 8000", // two fds per connection must fit the 20000 fd limit
                "defaults", "    mode tcp", "    timeout connect 5s", "    timeout client 120s", "    timeout server 120s",
                "frontend bench", $"    bind 127.0.0.1:{port}", "    default_backend echo",
                "backend echo", $"    server echo {upstream}", "")).ConfigureAwait(false);
            started = ChildProcess.Start(["haproxy", "-db", "-f", config], "0");
        }
        else
        {
            started = ChildProcess.Start(["socat", $"TCP-LISTEN:{port},bind=127.0.0.1,fork,reuseaddr,backlog=4096", $"TCP:{upstream}"], "0");
        }

        await WaitListeningAsync(started, port).ConfigureAwait(false);
        return (started, port, config);
    }

    private static Snapshot ProxySnapshot(ChildProcess proxy, ChildProcess client)
    {
        (long v, long nv, int threads) = ProcStat.ContextSwitches(proxy.Id);
        return new Snapshot(System.Diagnostics.Stopwatch.GetTimestamp(), ProcStat.TreeCpuSeconds(proxy.Id), v, nv, threads,
            client.HasExited ? 0 : ProcStat.CpuSeconds(client.Id), ProcStat.MachineBusySeconds(), new JsonObject());
    }

    private static int FreePort()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }

    /// <summary>Waits (bounded) until something accepts on the port, or the process exits.</summary>
    private static async Task WaitListeningAsync(ChildProcess process, int port)
    {
        for (int i = 0; i < 100; i++)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"[{process.Display}] exited before listening on {port}: {process.Stderr}");
            }

            using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                await probe.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port)).ConfigureAwait(false);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(100).ConfigureAwait(false);
            }
        }

        throw new TimeoutException($"[{process.Display}] did not listen on {port} within 10 s: {process.Stderr}");
    }

    /// <summary>The proxies this run can start: HAProxy and socat only where installed.</summary>
    private IEnumerable<string> ProxiesAvailable()
    {
        foreach (string proxy in Servers(ProxyServers))
        {
            if (IsNetpollProxy(proxy) || OnPath(proxy))
            {
                yield return proxy;
            }
            else
            {
                Log($"{proxy} is not installed (Debian: apt-get install {proxy}): left out of the proxy comparison");
            }
        }
    }

    /// <summary>netpoll-proxy (the Auto backend, io_uring here) or netpoll-proxy-epoll (opt-in: the same on epoll).</summary>
    private static bool IsNetpollProxy(string name) => name.StartsWith("netpoll-proxy", StringComparison.Ordinal);

    private static bool OnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Concat(["/usr/sbin", "/sbin"]).Any(dir => File.Exists(Path.Combine(dir, program)));
}
