using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Netpoll.Diagnostics;

/// <summary>
/// The counters of one poller, one slot per <see cref="PollerCounter"/>. Each has one writer, the poller
/// thread, except those marked "any thread" in their declaration, which use interlocked adds. Readers use
/// Volatile.Read or take a <see cref="PollerStats"/> snapshot.
/// </summary>
internal sealed class PollerCounters
{
    public static readonly int Count = Enum.GetValues<PollerCounter>().Length;

    private readonly long[] _values = new long[Count];

    static PollerCounters() =>
        Debug.Assert(Enum.GetValues<PollerCounter>().Select((c, i) => (int)c == i).All(x => x), "PollerCounter values are 0..Count-1.");

    /// <summary>The slot of <paramref name="counter"/>. No bounds check: every PollerCounter is a slot.</summary>
    public ref long this[PollerCounter counter]
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_values), (int)counter);
    }
}
