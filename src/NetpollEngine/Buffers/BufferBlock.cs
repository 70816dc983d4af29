using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Netpoll.Buffers;

/// <summary>
/// A piece of memory that one or more <see cref="LinkBufferNode"/>s view. Either a pinned array
/// rented from a <see cref="BufferPool"/>, or caller-owned memory linked without copying, with a
/// release hook. Shared by reference count so that <see cref="LinkBuffer.Slice"/> needs no copy.
/// </summary>
internal sealed class BufferBlock
{
    private int _references;
    private MemoryHandle _pin;
    private Action<object?>? _onRelease;
    private object? _releaseState;

    private BufferBlock(BufferPool pool, byte[]? array, int sizeClass)
    {
        Pool = pool;
        Array = array;
        SizeClass = sizeClass;
        if (array is not null)
        {
            Memory = array;
        }
    }

    public BufferPool Pool { get; }

    /// <summary>Pinned backing array, or null for linked caller memory.</summary>
    public byte[]? Array { get; }

    /// <summary>Index into <see cref="SizeClasses"/>, or -1 when the block is not pooled.</summary>
    public int SizeClass { get; }

    public Memory<byte> Memory { get; private set; }

    public int Capacity => Memory.Length;

    /// <summary>Nonzero while rented: catches a block handed out or returned twice.</summary>
    internal int Rented;

    /// <summary>Base address; valid for the block's whole life (pinned or pinned by handle).</summary>
    public unsafe byte* Pointer
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Array is not null
            ? (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(Array))
            : (byte*)_pin.Pointer;
    }

    public static BufferBlock CreatePooled(BufferPool pool, int sizeClass, int size) =>
        new(pool, GC.AllocateUninitializedArray<byte>(size, pinned: true), sizeClass);

    public static BufferBlock CreateExternalShell(BufferPool pool) => new(pool, null, -1);

    /// <summary>Points an external shell at caller memory, pinning it until release.</summary>
    public void AttachExternal(ReadOnlyMemory<byte> memory, Action<object?>? onRelease, object? state)
    {
        Memory = MemoryMarshal.AsMemory(memory);
        _pin = memory.Pin();
        _onRelease = onRelease;
        _releaseState = state;
    }

    /// <summary>Called by the pool: detaches caller memory and runs its release hook once.</summary>
    public void DetachExternal()
    {
        _pin.Dispose();
        _pin = default;
        Memory = default;
        Action<object?>? hook = _onRelease;
        object? state = _releaseState;
        _onRelease = null;
        _releaseState = null;
        hook?.Invoke(state);
    }

    public void SetSingleReference() => Volatile.Write(ref _references, 1);

    public void AddReference() => Interlocked.Increment(ref _references);

    /// <summary>Drops one reference; the last one returns the block to its pool.</summary>
    public void ReleaseReference()
    {
        int left = Interlocked.Decrement(ref _references);
        if (left == 0)
        {
            Pool.Return(this);
        }
        else if (left < 0)
        {
            throw new InvalidOperationException("BufferBlock released more times than it was referenced.");
        }
    }
}
