namespace Netpoll.Protocols;

/// <summary>The counters behind <see cref="HttpServerStatistics"/>, shared by one handler's connections. Written only on rare paths (refusals, timeouts, failures).</summary>
internal sealed class HttpServerCounters
{
    public long Rejected;
    public long HeadTimeouts;
    public long BodyTimeouts;
    public long RouteFailures;

    public HttpServerStatistics Snapshot() => new(
        Volatile.Read(ref Rejected),
        Volatile.Read(ref HeadTimeouts),
        Volatile.Read(ref BodyTimeouts),
        Volatile.Read(ref RouteFailures));
}
