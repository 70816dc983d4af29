using System.Collections.Concurrent;
using System.Runtime.CompilerServices;

namespace Netpoll.Proxy;

/// <summary>
/// A proxy's own counters: any thread adds (Interlocked), <see cref="TcpProxy.GetStats"/> reads. Bytes of
/// live connections stay in their pipes and are added here when the connection ends.
/// </summary>
internal sealed class ProxyCounters
{
    private readonly long[] _closed = new long[Enum.GetValues<ProxyCloseCause>().Length];
    private readonly ConcurrentDictionary<string, StrongBox<long>> _toxicsApplied = new(StringComparer.Ordinal);
    private long _accepted;
    private long _bytesUpstream;
    private long _bytesDownstream;

    public long Accepted => Volatile.Read(ref _accepted);

    public long BytesUpstream => Volatile.Read(ref _bytesUpstream);

    public long BytesDownstream => Volatile.Read(ref _bytesDownstream);

    public void CountAccepted() => Interlocked.Increment(ref _accepted);

    public void CountClosed(ProxyCloseCause cause) => Interlocked.Increment(ref _closed[(int)cause]);

    public void CountToxicApplied(string name) =>
        Interlocked.Increment(ref _toxicsApplied.GetOrAdd(name, static _ => new StrongBox<long>()).Value);

    public void AddBytes(long upstream, long downstream)
    {
        Interlocked.Add(ref _bytesUpstream, upstream);
        Interlocked.Add(ref _bytesDownstream, downstream);
    }

    public Dictionary<ProxyCloseCause, long> Closed()
    {
        var result = new Dictionary<ProxyCloseCause, long>();
        foreach (ProxyCloseCause cause in Enum.GetValues<ProxyCloseCause>())
        {
            result[cause] = Volatile.Read(ref _closed[(int)cause]);
        }

        return result;
    }

    public Dictionary<string, long> ToxicsApplied() =>
        _toxicsApplied.ToDictionary(p => p.Key, p => Volatile.Read(ref p.Value.Value), StringComparer.Ordinal);
}
