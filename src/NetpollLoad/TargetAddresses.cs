using System.Net;

namespace Netpoll.Load;

/// <summary>
/// The addresses a run may connect to: <see cref="LoadOptions.Target"/>, then <see cref="LoadOptions.FallbackTargets"/>.
/// Until a connect succeeds, each connect tries them in order, one that fails falling through to the next (curl does the
/// same; wrk probes each address once at start and keeps the first that accepts). The first address that accepts is
/// then the run's only one, so reconnects on the hot path never retry an address that refused.
/// </summary>
internal sealed class TargetAddresses(LoadOptions options)
{
    private readonly EndPoint[] _all = [options.Target, .. options.FallbackTargets];
    private int _chosen = -1; // the index of the address that accepted first; -1 until one has. Set once.

    public int Count => _all.Length;

    /// <summary>The index of the address the run uses, once one has accepted a connect; null before.</summary>
    public int? Chosen => Volatile.Read(ref _chosen) is >= 0 and int chosen ? chosen : null;

    /// <summary>The address the run uses (the first, until one has accepted).</summary>
    public EndPoint Current => _all[Math.Max(0, Volatile.Read(ref _chosen))];

    public EndPoint this[int index] => _all[index];

    /// <summary>A connect to address <paramref name="index"/> succeeded: the first to do so becomes the run's address.</summary>
    public void Accepted(int index) => Interlocked.CompareExchange(ref _chosen, index, -1);
}
