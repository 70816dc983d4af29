namespace Netpoll.Buffers;

/// <summary>A point-in-time view of a <see cref="BufferPool"/>.</summary>
/// <param name="RentedBlocks">Blocks handed out and not yet returned.</param>
/// <param name="RentedBytes">Bytes of those blocks.</param>
/// <param name="RetainedBytes">Bytes of idle blocks held in the shared depot (thread caches not counted).</param>
/// <param name="AllocatedBlocks">Blocks ever allocated from the GC (a rent that missed every cache).</param>
/// <param name="TrimmedBlocks">Blocks given back by trimming or by the retention bound.</param>
public readonly record struct BufferPoolStatistics(
    long RentedBlocks,
    long RentedBytes,
    long RetainedBytes,
    long AllocatedBlocks,
    long TrimmedBlocks);
