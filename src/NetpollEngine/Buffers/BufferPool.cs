namespace Netpoll.Buffers;

/// <summary>
/// Pinned memory blocks in size classes for <see cref="LinkBuffer"/>s. Renting and returning go
/// through a per-thread cache (no lock); caches trade with a bounded shared depot in batches; blocks
/// that sit unused in the depot for a whole trim period are given back to the GC.
/// Blocks live on the pinned object heap, so the reactor can hand their addresses to readv/writev.
/// </summary>
public sealed class BufferPool : IDisposable
{
    private readonly BufferPoolOptions _options;
    private readonly ThreadLocal<ThreadCache> _threadCaches;

    /// <summary>
    /// This thread's cache of the pool it used last: a plain thread-static, in front of <see cref="_threadCaches"/>, whose
    /// <c>Value</c> (shared generic code) looks its thread-static up through a runtime dictionary on every call — six
    /// times per echoed round trip (two nodes and a shell, each rented and returned). A thread that serves one pool (a
    /// poller) always hits. It keeps that one cache alive after its pool, until the thread uses another pool or ends.
    /// </summary>
    [ThreadStatic]
    private static ThreadCache? t_lastCache;
    private readonly IdleDepot<BufferBlock>[] _depots;
    private readonly IdleDepot<LinkBufferNode> _nodeDepot = new();
    private readonly IdleDepot<BufferBlock> _shellDepot = new();
    private readonly Timer? _trimTimer;
    private long _rentedBlocks;
    private long _rentedBytes;
    private long _retainedBytes;
    private long _allocatedBlocks;
    private long _trimmedBlocks;
    private volatile bool _disposed;

    public BufferPool()
        : this(new BufferPoolOptions())
    {
    }

    public BufferPool(BufferPoolOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        int perClass = options.ThreadCacheBytesPerClass;
        _threadCaches = new ThreadLocal<ThreadCache>(() => new ThreadCache(this, perClass));
        _depots = new IdleDepot<BufferBlock>[SizeClasses.Count];
        for (int i = 0; i < _depots.Length; i++)
        {
            _depots[i] = new IdleDepot<BufferBlock>();
        }

        if (options.TrimInterval > TimeSpan.Zero)
        {
            // The timer holds the pool weakly: a pool nobody references can still be collected.
            using (ExecutionContext.SuppressFlow())
            {
                _trimTimer = new Timer(TrimTick, new WeakReference<BufferPool>(this), options.TrimInterval, options.TrimInterval);
            }
        }
    }

    /// <summary>Whether returned memory is overwritten with 0xDD.</summary>
    public bool PoisonOnReturn => _options.PoisonOnReturn;

    /// <summary>The largest block size that is pooled; larger rents get a one-off block.</summary>
    public static int MaxPooledBlockSize => SizeClasses.MaxBlockSize;

    /// <summary>Rents a block of at least <paramref name="minimumSize"/> bytes with one reference.</summary>
    internal BufferBlock Rent(int minimumSize)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (minimumSize <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(minimumSize), minimumSize, "BufferPool.Rent needs a size of at least 1 byte.");
        }

        BufferBlock block;
        if (minimumSize > SizeClasses.MaxBlockSize)
        {
            block = BufferBlock.CreatePooled(this, -1, minimumSize);
            Interlocked.Increment(ref _allocatedBlocks);
        }
        else
        {
            int index = SizeClasses.IndexOf(minimumSize);
            block = RentFromCaches(index) ?? AllocateBlock(index);
        }

        if (Interlocked.Exchange(ref block.Rented, 1) != 0)
        {
            throw new InvalidOperationException("BufferPool handed out a block that was already rented.");
        }

        block.SetSingleReference();
        Interlocked.Increment(ref _rentedBlocks);
        Interlocked.Add(ref _rentedBytes, block.Capacity);
        return block;
    }

    /// <summary>Wraps caller-owned memory as a block; <paramref name="onRelease"/> runs once when no buffer views it.</summary>
    internal BufferBlock RentExternal(ReadOnlyMemory<byte> memory, Action<object?>? onRelease, object? state)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        BufferBlock shell = CurrentCache().Shells.Take(_shellDepot) ?? BufferBlock.CreateExternalShell(this);
        shell.AttachExternal(memory, onRelease, state);
        Volatile.Write(ref shell.Rented, 1);
        shell.SetSingleReference();
        return shell;
    }

    /// <summary>Takes a block back when its last reference is dropped.</summary>
    internal void Return(BufferBlock block)
    {
        if (Interlocked.Exchange(ref block.Rented, 0) != 1)
        {
            throw new InvalidOperationException("A buffer block was returned to its pool twice.");
        }

        if (block.Array is null)
        {
            block.DetachExternal();
            if (!_disposed)
            {
                CurrentCache().Shells.Put(block, _shellDepot, depotLimit: 1024);
            }

            return;
        }

        Interlocked.Decrement(ref _rentedBlocks);
        Interlocked.Add(ref _rentedBytes, -block.Capacity);
        if (_options.PoisonOnReturn)
        {
            block.Array.AsSpan().Fill(0xDD);
        }

        if (block.SizeClass < 0 || _disposed)
        {
            return; // one-off or late return: let the GC have it
        }

        ThreadCache cache = CurrentCache();
        BufferBlock?[] stack = cache.Blocks[block.SizeClass];
        ref int count = ref cache.Counts[block.SizeClass];
        if (count == stack.Length)
        {
            SpillHalf(block.SizeClass, stack, ref count);
        }

        if (count < stack.Length)
        {
            stack[count++] = block;
        }
        else
        {
            AddToDepot(block);
        }
    }

    internal LinkBufferNode RentNode() => CurrentCache().Nodes.Take(_nodeDepot) ?? new LinkBufferNode();

    internal void ReturnNode(LinkBufferNode node)
    {
        if (!_disposed)
        {
            CurrentCache().Nodes.Put(node, _nodeDepot, depotLimit: 4096);
        }
    }

    /// <summary>Gives back to the GC every depot block that stayed unused since the previous trim.</summary>
    public void Trim()
    {
        if (_disposed)
        {
            return;
        }

        var removed = new List<BufferBlock>();
        foreach (IdleDepot<BufferBlock> depot in _depots)
        {
            depot.TrimIdle(removed);
        }

        long bytes = 0;
        foreach (BufferBlock block in removed)
        {
            bytes += block.Capacity;
        }

        Interlocked.Add(ref _retainedBytes, -bytes);
        Interlocked.Add(ref _trimmedBlocks, removed.Count);
    }

    public BufferPoolStatistics GetStatistics() => new(
        Volatile.Read(ref _rentedBlocks),
        Volatile.Read(ref _rentedBytes),
        Volatile.Read(ref _retainedBytes),
        Volatile.Read(ref _allocatedBlocks),
        Volatile.Read(ref _trimmedBlocks));

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _trimTimer?.Dispose();
        foreach (IdleDepot<BufferBlock> depot in _depots)
        {
            depot.Clear();
        }

        _nodeDepot.Clear();
        _shellDepot.Clear();
        Interlocked.Exchange(ref _retainedBytes, 0);
    }

    private static void TrimTick(object? state)
    {
        var weak = (WeakReference<BufferPool>)state!;
        if (weak.TryGetTarget(out BufferPool? pool))
        {
            pool.Trim();
        }
    }

    private ThreadCache CurrentCache()
    {
        ThreadCache? cache = t_lastCache;
        return cache is not null && ReferenceEquals(cache.Owner, this) ? cache : t_lastCache = _threadCaches.Value!;
    }

    private BufferBlock? RentFromCaches(int index)
    {
        ThreadCache cache = CurrentCache();
        BufferBlock?[] stack = cache.Blocks[index];
        ref int count = ref cache.Counts[index];
        if (count == 0)
        {
            if (stack.Length == 0)
            {
                // This class is too large to cache per thread: go straight to the depot.
                if (!_depots[index].TryTake(out BufferBlock? direct))
                {
                    return null;
                }

                Interlocked.Add(ref _retainedBytes, -direct!.Capacity);
                return direct;
            }

            // Refill half the cache in one trip to the depot.
            Span<BufferBlock?> batch = stack.AsSpan(0, Math.Max(1, stack.Length / 2));
            int got = _depots[index].TakeBatch(batch);
            if (got == 0)
            {
                return null;
            }

            long bytes = 0;
            for (int i = 0; i < got; i++)
            {
                bytes += batch[i]!.Capacity;
            }

            Interlocked.Add(ref _retainedBytes, -bytes);
            count = got;
        }

        BufferBlock block = stack[--count]!;
        stack[count] = null;
        return block;
    }

    private BufferBlock AllocateBlock(int index)
    {
        Interlocked.Increment(ref _allocatedBlocks);
        return BufferBlock.CreatePooled(this, index, SizeClasses.SizeOf(index));
    }

    private void SpillHalf(int index, BufferBlock?[] stack, ref int count)
    {
        int keep = stack.Length / 2;
        for (int i = keep; i < count; i++)
        {
            AddToDepot(stack[i]!);
            stack[i] = null;
        }

        count = keep;
    }

    private void AddToDepot(BufferBlock block)
    {
        if (Interlocked.Add(ref _retainedBytes, block.Capacity) > _options.MaxRetainedBytes)
        {
            Interlocked.Add(ref _retainedBytes, -block.Capacity);
            Interlocked.Increment(ref _trimmedBlocks);
            return; // over the retention bound: the GC takes it
        }

        _depots[block.SizeClass].Add(block);
    }
}
