using System.Buffers;
using System.Runtime.CompilerServices;

namespace Netpoll.Buffers;

/// <summary>
/// One link of a <see cref="LinkBuffer"/>: a window [ReadIndex, WriteIndex) of a <see cref="BufferBlock"/>.
/// The reader owns <see cref="ReadIndex"/>; the writer owns <see cref="WriteIndex"/> and publishes it.
/// A node whose block is shared (a slice, or caller memory) is never written into.
/// A node in a buffer always has a block; only a pooled node (<see cref="Clear"/>) has none.
/// </summary>
/// <remarks>
/// The link to the next node is the base class's <see cref="ReadOnlySequenceSegment{T}.Next"/> (only
/// <see cref="Link"/> sets it, always to a <see cref="LinkBufferNode"/>); its ordering comes from explicit barriers
/// around that plain field rather than from a volatile twin of it, which kept every node 8 B larger.
/// </remarks>
internal sealed class LinkBufferNode : ReadOnlySequenceSegment<byte>
{
    private int _writeIndex;

    public BufferBlock? Block;

    /// <summary>Next byte the reader will read, as an index into the block.</summary>
    public int ReadIndex;

    /// <summary>End of the part the writer may fill.</summary>
    public int Limit;

    /// <summary>The block is also viewed elsewhere (slice or caller memory): read-only here.</summary>
    public bool ReadOnly;

    /// <summary>End of the written bytes; published by the writer.</summary>
    public int WriteIndex
    {
        get => Volatile.Read(ref _writeIndex);
        set => Volatile.Write(ref _writeIndex, value);
    }

    /// <summary>
    /// The next node, read with acquire semantics: what the writer set up in it (<see cref="Init"/>) before
    /// <see cref="Link"/>, and this node's final <see cref="WriteIndex"/>, are visible once the link is.
    /// </summary>
    public LinkBufferNode? NextNode
    {
        get
        {
            LinkBufferNode? next = Unsafe.As<LinkBufferNode?>(Next);
            Volatile.ReadBarrier();
            return next;
        }
    }

    public int Readable => WriteIndex - ReadIndex;

    public int Writable => ReadOnly ? 0 : Limit - _writeIndex;

    public void Init(BufferBlock block, int start, int end, bool readOnly)
    {
        Block = block;
        ReadIndex = start;
        _writeIndex = end;
        Limit = readOnly ? end : block.Capacity;
        ReadOnly = readOnly;
        Next = null;
        Memory = default;
        RunningIndex = 0;
    }

    /// <summary>Links <paramref name="next"/> after this node; the reader may follow it once bytes in it are published.</summary>
    public void Link(LinkBufferNode next)
    {
        Volatile.WriteBarrier(); // release: the node's Init and this node's last WriteIndex before the link
        Next = next;
    }

    /// <summary>Fixes this node's part of a <see cref="ReadOnlySequence{T}"/> view (reader side only).</summary>
    public void SetSequenceWindow(int end, long runningIndex)
    {
        Memory = Block!.Memory[ReadIndex..end];
        RunningIndex = runningIndex;
    }

    public Memory<byte> WritableMemory => Block!.Memory[_writeIndex..Limit];

    public Span<byte> WritableSpan => Block!.Memory.Span[_writeIndex..Limit];

    public void Clear()
    {
        Block = null;
        ReadIndex = 0;
        _writeIndex = 0;
        Limit = 0;
        ReadOnly = false;
        Next = null;
        Memory = default;
        RunningIndex = 0;
    }
}
