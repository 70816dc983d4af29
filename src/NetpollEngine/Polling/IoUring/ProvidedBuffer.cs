using System.Buffers;

namespace Netpoll.Polling;

/// <summary>
/// One buffer of a provided buffer ring, as memory a reader can hold without copying. Its address is fixed
/// (the slab is on the pinned object heap), so pinning it costs nothing and a receive allocates nothing:
/// one instance per buffer id, made when the ring is.
/// </summary>
internal sealed unsafe class ProvidedBuffer : MemoryManager<byte>
{
    /// <summary>A release hook for linked memory: the state is the <see cref="ProvidedBuffer"/> to give back.</summary>
    public static readonly Action<object?> ReleaseHook = static state => ((ProvidedBuffer)state!).Return();

    private readonly IoUringBufferRing _ring;
    private readonly byte[] _slab;
    private readonly int _offset;
    private readonly int _size;
    private readonly byte* _pointer;

    public ProvidedBuffer(IoUringBufferRing ring, byte[] slab, byte* slabBase, ushort id, int size)
    {
        _ring = ring;
        _slab = slab;
        Id = id;
        _size = size;
        _offset = id * size;
        _pointer = slabBase + _offset;
    }

    public ushort Id { get; }

    /// <summary>The first <paramref name="length"/> bytes, as memory that stays valid until the buffer is returned.</summary>
    public ReadOnlyMemory<byte> Received(int length) => CreateMemory(length);

    public override Span<byte> GetSpan() => _slab.AsSpan(_offset, _size);

    public override MemoryHandle Pin(int elementIndex = 0) => new(_pointer + elementIndex);

    public override void Unpin()
    {
    }

    /// <summary>Gives the buffer back to the ring: now on the ring's thread, else at its next turn. Any thread.</summary>
    public void Return() => _ring.Return(Id);

    protected override void Dispose(bool disposing)
    {
    }
}
