namespace Netpoll.Buffers;

/// <summary>Settings of one <see cref="BufferPool"/>. Each server owns its pool; nothing is process-global.</summary>
public sealed record BufferPoolOptions
{
    /// <summary>Most bytes of idle blocks the shared depot keeps; returns past it go to the GC.</summary>
    public long MaxRetainedBytes { get; init; } = 64L * 1024 * 1024;

    /// <summary>Most bytes of idle blocks one thread keeps per size class before spilling to the depot.</summary>
    public int ThreadCacheBytesPerClass { get; init; } = 128 * 1024;

    /// <summary>How often blocks that sat unused in the depot for a whole period are given back. Zero turns trimming off.</summary>
    public TimeSpan TrimInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Fill returned memory with 0xDD so a view used after Release shows garbage, not stale data.
    /// On by default in debug builds.</summary>
    public bool PoisonOnReturn { get; init; }
#if DEBUG
        = true;
#endif

    internal void Validate()
    {
        if (MaxRetainedBytes < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxRetainedBytes), MaxRetainedBytes, "MaxRetainedBytes must be zero or more.");
        }

        if (ThreadCacheBytesPerClass < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(ThreadCacheBytesPerClass), ThreadCacheBytesPerClass, "ThreadCacheBytesPerClass must be zero or more.");
        }

        if (TrimInterval < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(TrimInterval), TrimInterval, "TrimInterval must be zero (off) or positive.");
        }
    }
}
