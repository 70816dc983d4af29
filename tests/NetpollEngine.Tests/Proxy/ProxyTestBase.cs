using System.Net;
using Netpoll.Polling;
using Netpoll.Proxy;
using Netpoll.Tests.Support;

namespace Netpoll.Tests.Proxy;

/// <summary>
/// The proxy's behaviour tests, run once per backend: as they are on io_uring (Auto where the kernel refuses it,
/// so they still run) and again on epoll by the classes in ProxyTestsOnEpoll.cs. Every proxy a test starts runs on
/// <see cref="Backend"/>, checked by <see cref="ProxyHarness.Start"/>: asking by name, not through Auto, keeps the
/// matrix whole if Auto's choice for the proxy ever changes.
/// </summary>
public abstract class ProxyTestBase
{
    protected virtual PollerBackendKind Backend =>
        BackendMatrix.Kinds.Contains(PollerBackendKind.IoUring) ? PollerBackendKind.IoUring : PollerBackendKind.Auto;

    private protected TcpProxy StartProxy(EndPoint upstream, Func<TcpProxyOptions, TcpProxyOptions>? configure = null) =>
        ProxyHarness.Start(upstream, OnBackend(configure));

    private protected Task<ProxiedPair> StartPairAsync(Func<TcpProxyOptions, TcpProxyOptions>? configure = null, params Toxic[] toxics) =>
        ProxiedPair.StartAsync(OnBackend(configure), toxics);

    private protected Task<ProxiedPair> StartPairAsync(params Toxic[] toxics) => StartPairAsync(null, toxics);

    private Func<TcpProxyOptions, TcpProxyOptions> OnBackend(Func<TcpProxyOptions, TcpProxyOptions>? configure) =>
        o => (configure?.Invoke(o) ?? o) with { Backend = Backend };
}
