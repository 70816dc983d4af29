namespace Netpoll.Buffers;

/// <summary>
/// One thread's private stock of idle blocks (per size class) and nodes for one pool. Only its
/// thread touches it, so renting and returning through it takes no lock and no interlocked op.
/// </summary>
internal sealed class ThreadCache
{
    private const int MaxBlocksPerClass = 32;
    public const int NodeCapacity = 64;

    public readonly BufferBlock?[][] Blocks;
    public readonly int[] Counts;
    public readonly LinkBufferNode?[] Nodes = new LinkBufferNode?[NodeCapacity];
    public int NodeCount;

    public ThreadCache(int bytesPerClass)
    {
        Blocks = new BufferBlock?[SizeClasses.Count][];
        Counts = new int[SizeClasses.Count];
        for (int i = 0; i < Blocks.Length; i++)
        {
            int capacity = Math.Clamp(bytesPerClass / SizeClasses.SizeOf(i), 0, MaxBlocksPerClass);
            Blocks[i] = capacity == 0 ? [] : new BufferBlock?[capacity];
        }
    }
}
