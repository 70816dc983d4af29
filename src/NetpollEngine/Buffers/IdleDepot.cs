namespace Netpoll.Buffers;

/// <summary>
/// The shared, lock-protected stock of idle objects (blocks of one size class, or nodes). Thread caches touch it only
/// in batches when they run dry or overflow, so the lock stays off the per-operation path.
/// Tracks the fewest blocks it held during a trim period: that many sat unused the whole period.
/// </summary>
internal sealed class IdleDepot<T>
    where T : class
{
    private readonly Lock _gate = new();
    private T[] _items = new T[8];
    private int _count;
    private int _lowWater;

    public int Count => Volatile.Read(ref _count);

    /// <summary>Moves up to <paramref name="into"/>.Length blocks out; returns how many.</summary>
    public int TakeBatch(Span<T?> into)
    {
        lock (_gate)
        {
            int n = Math.Min(into.Length, _count);
            for (int i = 0; i < n; i++)
            {
                into[i] = _items[--_count];
                _items[_count] = null!;
            }

            _lowWater = Math.Min(_lowWater, _count);
            return n;
        }
    }

    public bool TryTake(out T? item)
    {
        lock (_gate)
        {
            if (_count == 0)
            {
                item = null;
                return false;
            }

            item = _items[--_count];
            _items[_count] = null!;
            _lowWater = Math.Min(_lowWater, _count);
            return true;
        }
    }

    public void Add(T block)
    {
        lock (_gate)
        {
            if (_count == _items.Length)
            {
                Array.Resize(ref _items, _items.Length * 2);
            }

            _items[_count++] = block;
        }
    }

    /// <summary>Removes the blocks that stayed idle for the whole period since the last trim.</summary>
    public int TrimIdle(List<T> removed)
    {
        lock (_gate)
        {
            int n = Math.Min(_lowWater, _count);
            for (int i = 0; i < n; i++)
            {
                // Oldest blocks sit at the bottom of the stack.
                removed.Add(_items[i]);
            }

            Array.Copy(_items, n, _items, 0, _count - n);
            Array.Clear(_items, _count - n, n);
            _count -= n;
            _lowWater = _count;
            return n;
        }
    }

    public void Clear()
    {
        lock (_gate)
        {
            Array.Clear(_items, 0, _count);
            _count = 0;
            _lowWater = 0;
        }
    }
}
