using System.Globalization;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using Netpoll.Connections;
using Netpoll.Polling;

namespace Netpoll.Bench;

/// <summary>
/// <c>server KIND [--port N] [--pollers N] [--upstream HOST:PORT] [--cert PFX]</c>: runs one server (netpoll-proxy, netpoll-proxy-epoll: a
/// proxy to --upstream; the -https kinds need --cert) until "quit" or the end of stdin.
/// Prints <c>READY port</c> once listening. On stdin, <c>stats</c> prints one JSON line of GC and
/// server counters; <c>gc</c> forces a full collection first (for memory per idle connection);
/// <c>allocs</c> prints what <c>--alloc-trace</c> sampled since <c>allocs-reset</c> (bytes by type, diagnosis only).
/// </summary>
internal static class ServerCommand
{
    public static readonly string[] Kinds = ["netpoll", "netpoll-inline", "netpoll-uring", "netpoll-uring-inline", "netpoll-uring-sqpoll", "netpoll-http", "netpoll-http-inline", "netpoll-http-mock", "netpoll-http-mock-inline", "sockets", "kestrel", "netpoll-proxy", "netpoll-proxy-epoll", "netpoll-https", "netpoll-https-inline", "netpoll-https-uring-inline", "kestrel-https"];

    public static async Task<int> RunAsync(CommandLine options)
    {
        string kind = options.Positional.Count > 0 ? options.Positional[0] : throw new ArgumentException($"server needs a kind: {string.Join(", ", Kinds)}.");
        int port = options.Int("port", 0);
        int pollers = options.Int("pollers", 0);
        var endPoint = new IPEndPoint(IPAddress.Loopback, port);
        X509Certificate2? certificate = kind.Contains("-https", StringComparison.Ordinal)
            ? BenchCertificate.Load(options.Get("cert") ?? throw new ArgumentException($"server {kind} needs --cert PATH (a PFX without a password)."))
            : null;
        IBenchServer server = kind switch
        {
            "netpoll" => new NetpollServer(endPoint, NetpollServer.Protocol.Echo, DispatchMode.ThreadPool, pollers),
            "netpoll-inline" => new NetpollServer(endPoint, NetpollServer.Protocol.Echo, DispatchMode.Inline, pollers),
            "netpoll-http" => new NetpollServer(endPoint, NetpollServer.Protocol.Http, DispatchMode.ThreadPool, pollers),
            "netpoll-http-inline" => new NetpollServer(endPoint, NetpollServer.Protocol.Http, DispatchMode.Inline, pollers),
            "netpoll-http-mock" => new NetpollServer(endPoint, NetpollServer.Protocol.HttpMock, DispatchMode.ThreadPool, pollers),
            "netpoll-http-mock-inline" => new NetpollServer(endPoint, NetpollServer.Protocol.HttpMock, DispatchMode.Inline, pollers),
            "netpoll-uring" => new NetpollServer(endPoint, NetpollServer.Protocol.Echo, DispatchMode.ThreadPool, pollers, PollerBackendKind.IoUring),
            "netpoll-uring-inline" => new NetpollServer(endPoint, NetpollServer.Protocol.Echo, DispatchMode.Inline, pollers, PollerBackendKind.IoUring),
            "netpoll-uring-sqpoll" => new NetpollServer(endPoint, NetpollServer.Protocol.Echo, DispatchMode.Inline, pollers, PollerBackendKind.IoUring, submissionPolling: true),
            "sockets" => new SocketsEchoServer(endPoint),
            "kestrel" => new KestrelServer(endPoint),
            "netpoll-https" => new NetpollServer(endPoint, NetpollServer.Protocol.Http, DispatchMode.ThreadPool, pollers, certificate: certificate),
            "netpoll-https-inline" => new NetpollServer(endPoint, NetpollServer.Protocol.Http, DispatchMode.Inline, pollers, certificate: certificate),
            "netpoll-https-uring-inline" => new NetpollServer(endPoint, NetpollServer.Protocol.Http, DispatchMode.Inline, pollers, PollerBackendKind.IoUring, certificate: certificate),
            "kestrel-https" => new KestrelServer(endPoint, certificate),
            "netpoll-proxy" => new NetpollProxyServer(endPoint, Upstream(options, kind), pollers),
            "netpoll-proxy-epoll" => new NetpollProxyServer(endPoint, Upstream(options, kind), pollers, PollerBackendKind.Epoll),
            _ => throw new ArgumentException($"unknown server kind '{kind}'; use {string.Join(", ", Kinds)}."),
        };

        using AllocationSampler? sampler = options.Flag("alloc-trace") ? new AllocationSampler() : null;
        int bound = await server.StartAsync().ConfigureAwait(false);
        // Format one stats line now, so the first measured "stats" does not pay for first-call setup.
        _ = Stats(server, collect: false);
        Console.Out.WriteLine($"READY {bound}");
        Console.Out.Flush();

        while (await Console.In.ReadLineAsync().ConfigureAwait(false) is { } line)
        {
            string command = line.Trim();
            if (command == "quit")
            {
                break;
            }

            if (command == "allocs-reset")
            {
                sampler?.Reset();
            }

            Console.Out.WriteLine(command switch
            {
                "allocs" => sampler?.Report() ?? "{\"allocs\":{}}",
                "allocs-reset" => "{}",
                _ => Stats(server, collect: command == "gc"),
            });
            Console.Out.Flush();
        }

        await server.StopAsync().ConfigureAwait(false);
        return 0;
    }

    private static IPEndPoint Upstream(CommandLine options, string kind) =>
        IPEndPoint.Parse(options.Get("upstream") ?? throw new ArgumentException($"server {kind} needs --upstream host:port."));

    /// <summary>One JSON line. The allocation counter is read first, before this method allocates.</summary>
    private static string Stats(IBenchServer server, bool collect)
    {
        if (collect)
        {
            GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
            // Aggressive: also give back the free 4 MiB regions the GC keeps committed; otherwise one retained region
            // (≈ 410 B per connection at 10,000) decides an idle server's RSS per connection, in either direction.
            GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        }

        long allocated = GC.GetTotalAllocatedBytes(precise: true);
        long totalMemory = GC.GetTotalMemory(forceFullCollection: false);
        GCMemoryInfo info = GC.GetGCMemoryInfo(GCKind.Any);
        ServerCounters c = server.Counters();
        return string.Create(CultureInfo.InvariantCulture,
            $"{{\"allocatedBytes\":{allocated},\"totalMemory\":{totalMemory},\"heapSizeBytes\":{info.HeapSizeBytes},\"committedBytes\":{info.TotalCommittedBytes}," +
            $"\"gen0\":{GC.CollectionCount(0)},\"gen1\":{GC.CollectionCount(1)},\"gen2\":{GC.CollectionCount(2)},\"threads\":{ThreadPool.ThreadCount}," +
            $"\"connections\":{c.Connections},\"rentedBlocks\":{c.RentedBlocks},\"rentedBytes\":{c.RentedBytes},\"retainedBytes\":{c.RetainedBytes}}}");
    }
}

/// <summary>What a server reports besides the GC: open connections and buffer memory it holds (-1: not known).</summary>
internal readonly record struct ServerCounters(long Connections, long RentedBlocks, long RentedBytes, long RetainedBytes);

internal interface IBenchServer
{
    /// <summary>Binds, starts serving, returns the bound port.</summary>
    Task<int> StartAsync();

    ServerCounters Counters();

    Task StopAsync();
}
