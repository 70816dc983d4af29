using System.Runtime.InteropServices;
using Netpoll.Interop;

namespace Netpoll.Polling;

/// <summary>
/// The msghdr and iovecs of the sendmsg operations in flight, one block per registration slot while its
/// send runs (a registration has at most one send in flight). Blocks are reused, so an idle connection
/// holds none and a send allocates nothing once the pool is warm. Issuer thread only.
/// </summary>
/// <remarks>The kernel may read the iovecs until the send completes (with SQPOLL, even after the enter returns).</remarks>
internal sealed unsafe class IoUringSendVectors : IDisposable
{
    public const int MaxVectors = 64;

    private static readonly nuint BlockSize = (nuint)(sizeof(MessageHeader) + (MaxVectors * sizeof(IoVector)));

    private nint[] _bySlot = new nint[64];
    private readonly Stack<nint> _free = new();

    /// <summary>A msghdr for <paramref name="vectors"/>, owned by <paramref name="slot"/> until <see cref="Release"/>.</summary>
    public MessageHeader* Take(int slot, ReadOnlySpan<IoVector> vectors)
    {
        if (vectors.Length > MaxVectors)
        {
            throw new ArgumentOutOfRangeException(nameof(vectors), vectors.Length, $"A send takes at most {MaxVectors} vectors.");
        }

        if (slot >= _bySlot.Length)
        {
            Array.Resize(ref _bySlot, Math.Max(slot + 1, _bySlot.Length * 2));
        }

        nint block = _bySlot[slot];
        if (block == 0)
        {
            block = _free.Count > 0 ? _free.Pop() : (nint)NativeMemory.Alloc(BlockSize);
            _bySlot[slot] = block;
        }

        var message = (MessageHeader*)block;
        var copy = (IoVector*)(block + sizeof(MessageHeader));
        vectors.CopyTo(new Span<IoVector>(copy, vectors.Length));
        *message = default;
        message->Vectors = copy;
        message->VectorCount = (nuint)vectors.Length;
        return message;
    }

    /// <summary>The send of <paramref name="slot"/> completed: its block is free for the next.</summary>
    public void Release(int slot)
    {
        if (slot < _bySlot.Length && _bySlot[slot] is var block and not 0)
        {
            _bySlot[slot] = 0;
            _free.Push(block);
        }
    }

    /// <summary>Frees every block. Only once nothing is in flight (the ring is drained or gone).</summary>
    public void Dispose()
    {
        foreach (nint block in _bySlot)
        {
            if (block != 0)
            {
                NativeMemory.Free((void*)block);
            }
        }

        while (_free.TryPop(out nint block))
        {
            NativeMemory.Free((void*)block);
        }

        _bySlot = [];
    }
}
