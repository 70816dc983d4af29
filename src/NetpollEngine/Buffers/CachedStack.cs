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
    private readonly T?[] _items;
    private int _count;

    public CachedStack(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 2);
        _items = new T?[capacity];
    }

    /// <summary>An idle object, refilling half the stack from <paramref name="depot"/> when empty; null when both are empty.</summary>
    public T? Take(IdleDepot<T> depot)
    {
        if (_count == 0)
        {
            _count = depot.TakeBatch(_items.AsSpan(0, _items.Length / 2));
            if (_count == 0)
            {
                return null;
            }
        }

        T item = _items[--_count]!;
        _items[_count] = null;
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
                    depot.Add(_items[i]!);
                }
            }

            Array.Clear(_items, keep, _items.Length - keep);
            _count = keep;
        }

        _items[_count++] = item;
    }
}
