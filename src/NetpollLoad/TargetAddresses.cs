using System.Net;

namespace Netpoll.Load;

/// <summary>
/// The addresses a run may connect to: <see cref="LoadOptions.Target"/>, then <see cref="LoadOptions.FallbackTargets"/>.
/// Until a connect succeeds, each connect races them in order (see <see cref="LoadConnector"/>: the next starts when the
/// one before fails or has not completed within the connection attempt delay). The first address that accepts is then
/// the run's only one, so reconnects on the hot path never retry an address that refused. Each address keeps the first
/// failure a connect met there, so a run that opened nothing can say what each address did.
/// </summary>
internal sealed class TargetAddresses(LoadOptions options)
{
    private readonly EndPoint[] _all = [options.Target, .. options.FallbackTargets];
    private readonly string?[] _firstFailure = new string?[1 + options.FallbackTargets.Count]; // per address, set once
    private int _chosen = -1; // the index of the address that accepted first; -1 until one has. Set once.

    public int Count => _all.Length;

    /// <summary>The index of the address the run uses, once one has accepted a connect; null before.</summary>
    public int? Chosen => Volatile.Read(ref _chosen) is >= 0 and int chosen ? chosen : null;

    /// <summary>The address the run uses (the first, until one has accepted).</summary>
    public EndPoint Current => _all[Math.Max(0, Volatile.Read(ref _chosen))];

    public EndPoint this[int index] => _all[index];

    /// <summary>A connect to address <paramref name="index"/> succeeded: the first to do so becomes the run's address.</summary>
    public void Accepted(int index) => Interlocked.CompareExchange(ref _chosen, index, -1);

    /// <summary>A connect to address <paramref name="index"/> failed: the first failure there is kept (any thread).</summary>
    public void Failed(int index, Exception error) =>
        Interlocked.CompareExchange(ref _firstFailure[index], $"{_all[index]}: {LoadGenerator.Classify(error)} ({error.Message})", null);

    /// <summary>Each address a connect failed at, in the target's order, with its first failure's cause and message.</summary>
    public IReadOnlyList<string> Failures() => [.. Enumerable.Range(0, _all.Length).Select(i => Volatile.Read(ref _firstFailure[i])).OfType<string>()];
}
