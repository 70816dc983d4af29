using System.Net;
using Netpoll.Buffers;
using Netpoll.Connections;
using Netpoll.Polling;
using Netpoll.Protocols;
using Netpoll.Server;

namespace Netpoll.Bench;

/// <summary>The engine with its built-in Echo (zero-copy splice) or Http handler, on the backend named (never Auto: a bench names what it measures).</summary>
internal sealed class NetpollServer(IPEndPoint endPoint, bool http, DispatchMode dispatch, int pollers, PollerBackendKind backend = PollerBackendKind.Epoll, bool submissionPolling = false) : IBenchServer
{
    private EventLoop? _loop;

    public Task<int> StartAsync()
    {
        var options = new EventLoopOptions
        {
            Name = http ? "bench-http" : "bench-echo",
            Connection = new ConnectionOptions { Dispatch = dispatch },
            Backend = backend,
            IoUring = new IoUringOptions { SubmissionPolling = submissionPolling },
        };
        if (pollers > 0)
        {
            options = options with { Pollers = pollers };
        }

        EventLoop? loop = null;
        ConnectionHandler handler = http ? new HttpHandler(() => loop?.GetStats() ?? []) : new EchoHandler();
        loop = new EventLoop(handler, options);
        _loop = loop;
        if (loop.BackendInUse != backend)
        {
            throw new InvalidOperationException($"asked for {backend}, but the server would run on {loop.BackendInUse}: {loop.BackendReason}");
        }

        NetpollListener listener = NetpollListener.Create(endPoint);
        _ = loop.ServeAsync(listener);
        return Task.FromResult(((IPEndPoint)listener.LocalEndPoint).Port);
    }

    public ServerCounters Counters()
    {
        EventLoop loop = _loop!;
        BufferPoolStatistics pool = loop.GetBufferStatistics();
        return new ServerCounters(loop.ConnectionCount, pool.RentedBlocks, pool.RentedBytes, pool.RetainedBytes);
    }

    public Task StopAsync() => _loop!.ShutdownAsync(TimeSpan.FromSeconds(2));
}
