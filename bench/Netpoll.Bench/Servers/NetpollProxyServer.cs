using System.Net;
using Netpoll.Buffers;
using Netpoll.Polling;
using Netpoll.Proxy;

namespace Netpoll.Bench;

/// <summary>The engine's <see cref="TcpProxy"/> with no toxic: forwarding alone, against HAProxy and socat (Auto backend: io_uring here; or epoll).</summary>
internal sealed class NetpollProxyServer(IPEndPoint endPoint, IPEndPoint upstream, int pollers, PollerBackendKind backend = PollerBackendKind.Auto) : IBenchServer
{
    private TcpProxy? _proxy;

    public Task<int> StartAsync()
    {
        _proxy = TcpProxy.Start(new TcpProxyOptions { Name = "bench-proxy", EndPoint = endPoint, Upstream = upstream, Pollers = pollers, Backend = backend });
        return Task.FromResult(((IPEndPoint)_proxy.EndPoint).Port);
    }

    public ServerCounters Counters()
    {
        TcpProxy proxy = _proxy!;
        BufferPoolStatistics pool = proxy.GetBufferStatistics();
        return new ServerCounters(proxy.ConnectionCount, pool.RentedBlocks, pool.RentedBytes, pool.RetainedBytes);
    }

    public Task StopAsync() => _proxy!.StopAsync(TimeSpan.FromSeconds(2));
}
