namespace Netpoll.Buffers;

/// <summary>
/// One thread's private stock of idle blocks (per size class), nodes and external-block shells for one pool. Only its
/// thread touches it, so renting and returning through it takes no lock and no interlocked op.
/// </summary>
internal sealed class ThreadCache
{
    private const int MaxBlocksPerClass = 32;
    private const int NodeCapacity = 64;
    private const int ShellCapacity = 64;

    /// <summary>The pool whose cache this is (BufferPool's thread-static shortcut checks it).</summary>
    public readonly BufferPool Owner;

    public readonly BufferBlock?[][] Blocks;
    public readonly int[] Counts;
    public readonly CachedStack<LinkBufferNode> Nodes = new(NodeCapacity);

    /// <summary>Shells for linked caller memory (an io_uring receive buffer per round trip): rented and returned on the poller thread.</summary>
    public readonly CachedStack<BufferBlock> Shells = new(ShellCapacity);

    public ThreadCache(BufferPool owner, int bytesPerClass)
    {
        Owner = owner;
        Blocks = new BufferBlock?[SizeClasses.Count][];
        Counts = new int[SizeClasses.Count];
        for (int i = 0; i < Blocks.Length; i++)
        {
            int capacity = Math.Clamp(bytesPerClass / SizeClasses.SizeOf(i), 0, MaxBlocksPerClass);
            Blocks[i] = capacity == 0 ? [] : new BufferBlock?[capacity];
        }
    }
}
