using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Netpoll.Buffers;

/// <summary>
/// One thread's stack of idle objects of one kind (nodes, external-block shells), in front of a shared
/// <see cref="IdleDepot{T}"/>: taking and putting touch no lock until the stack runs dry or full, and then
/// it trades half its capacity with the depot in one trip.
/// </summary>
/// <remarks>Owned by one <see cref="ThreadCache"/>: only its thread calls in.</remarks>
internal sealed class CachedStack<T>
    where T : class
{
    // A struct slot, not a T?[]: a store into an array of a reference type checks the element's type (arrays are
    // covariant), and in this shared generic code that check is a helper call on every Put; a struct array's is not.
    private readonly Slot[] _items;
    private int _count; // _items[0.._count) hold idle objects; every slot above is null (nothing kept alive)

    public CachedStack(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 2);
        _items = new Slot[capacity];
    }

    /// <summary>An idle object, refilling half the stack from <paramref name="depot"/> when empty; null when both are empty.</summary>
    public T? Take(IdleDepot<T> depot)
    {
        if (_count == 0)
        {
            // A Slot is its one field: the depot fills the lower half as a span of T.
            _count = depot.TakeBatch(MemoryMarshal.CreateSpan(ref Unsafe.As<Slot, T?>(ref _items[0]), _items.Length / 2));
            if (_count == 0)
            {
                return null;
            }
        }

        ref T? top = ref _items[--_count].Item;
        T item = top!;
        top = null;
        return item;
    }

    /// <summary>Keeps <paramref name="item"/>; a full stack first moves its top half to <paramref name="depot"/> (dropped past <paramref name="depotLimit"/>).</summary>
    public void Put(T item, IdleDepot<T> depot, int depotLimit)
    {
        if (_count == _items.Length)
        {
            int keep = _items.Length / 2;
            if (depot.Count < depotLimit)
            {
                for (int i = keep; i < _items.Length; i++)
                {
                    depot.Add(_items[i].Item!);
                }
            }

            Array.Clear(_items, keep, _items.Length - keep);
            _count = keep;
        }

        _items[_count++].Item = item;
    }

    private struct Slot
    {
        public T? Item;
    }
}
