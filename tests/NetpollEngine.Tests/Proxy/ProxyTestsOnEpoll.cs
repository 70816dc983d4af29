using Netpoll.Polling;

namespace Netpoll.Tests.Proxy;

// The same tests with the proxy's pollers on epoll (the base classes ask for io_uring where the kernel allows it).

public sealed class ProxyForwardingOnEpollTests : ProxyForwardingTests
{
    protected override PollerBackendKind Backend => PollerBackendKind.Epoll;
}

public sealed class ProxyBackpressureOnEpollTests : ProxyBackpressureTests
{
    protected override PollerBackendKind Backend => PollerBackendKind.Epoll;
}

public sealed class ProxyUpstreamFailureOnEpollTests : ProxyUpstreamFailureTests
{
    protected override PollerBackendKind Backend => PollerBackendKind.Epoll;
}

public sealed class ToxicEffectOnEpollTests : ToxicEffectTests
{
    protected override PollerBackendKind Backend => PollerBackendKind.Epoll;
}

public sealed class LiveToxicOnEpollTests : LiveToxicTests
{
    protected override PollerBackendKind Backend => PollerBackendKind.Epoll;
}
