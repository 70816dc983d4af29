using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using Netpoll.Interop;

namespace Netpoll.Polling;

/// <summary>
/// A provided buffer ring (IORING_REGISTER_PBUF_RING, 5.19): a group of equal buffers the kernel picks
/// from when a receive completes, so a connection holds no buffer while it waits for data. A CQE with
/// IORING_CQE_F_BUFFER names the buffer it filled; the buffer is the application's until
/// <see cref="Recycle"/> gives it back and <see cref="Publish"/> makes that visible.
/// </summary>
/// <remarks>
/// The buffers are one pinned array (on the pinned object heap), so a buffer is also a
/// <see cref="Memory{T}"/> the engine can hand to a reader without copying. The ring entries are
/// page-aligned native memory the kernel pins while registered. Only the ring's issuer thread may
/// recycle and publish (the tail has one writer); other threads hand buffer ids to it through
/// <see cref="Return"/>, and the issuer picks them up in <see cref="PublishReturned"/>.
/// </remarks>
internal sealed unsafe class IoUringBufferRing : IDisposable
{
    private const int PageSize = 4096;
    private const int MaxEntries = 32768;

    private readonly IoUringRing _ring;
    private readonly byte[] _slab;
    private readonly byte* _slabBase;
    private IoUringBuf* _entries;
    private readonly ushort _mask;
    private readonly bool[] _withKernel; // per buffer: in the ring (true) or handed out by a CQE (false)
    private readonly ProvidedBuffer[] _buffers;
    private readonly ConcurrentQueue<ushort> _returned = new(); // ids given back by other threads
    private readonly int _issuerThreadId;  // the thread that registered the ring: the tail's one writer
    private ushort _tail;        // ours: one past the last entry added
    private ushort _publishedTail;
    private int _held;           // issuer writes: buffers handed out and not recycled yet

    private IoUringBufferRing(IoUringRing ring, ushort groupId, int count, int bufferSize, IoUringBuf* entries)
    {
        _ring = ring;
        GroupId = groupId;
        Count = count;
        BufferSize = bufferSize;
        _entries = entries;
        _mask = (ushort)(count - 1);
        _withKernel = new bool[count];
        _slab = GC.AllocateUninitializedArray<byte>(count * bufferSize, pinned: true);
        _slabBase = (byte*)Marshal.UnsafeAddrOfPinnedArrayElement(_slab, 0);
        _issuerThreadId = Environment.CurrentManagedThreadId;
        _buffers = new ProvidedBuffer[count];
        for (int id = 0; id < count; id++)
        {
            _buffers[id] = new ProvidedBuffer(this, _slab, _slabBase, (ushort)id, bufferSize);
        }
    }

    /// <summary>The buffer group id receives name in their SQE (IOSQE_BUFFER_SELECT).</summary>
    public ushort GroupId { get; }

    /// <summary>How many buffers the ring holds (a power of two).</summary>
    public int Count { get; }

    public int BufferSize { get; }

    /// <summary>Buffers given back and not yet handed to the kernel by <see cref="Publish"/>.</summary>
    public int Unpublished => (ushort)(_tail - _publishedTail);

    /// <summary>Buffers handed out by completions and not recycled yet (any thread, a moment's value).</summary>
    public int Held => Volatile.Read(ref _held);

    /// <summary>Runs after another thread queued a buffer for <see cref="PublishReturned"/> (the poller's wake-up).</summary>
    public Action? ForeignReturned { get; set; }

    /// <summary>Buffers other threads gave back that <see cref="PublishReturned"/> has not picked up yet.</summary>
    public bool HasForeignReturns => !_returned.IsEmpty;

    /// <summary>The slab itself, for whoever must keep it alive while the kernel might still write into it.</summary>
    internal byte[] Slab => _slab;

    /// <summary>
    /// Registers a ring of <paramref name="count"/> buffers of <paramref name="bufferSize"/> bytes as
    /// group <paramref name="groupId"/>, all of them available to the kernel.
    /// </summary>
    public static IoUringSupport TryRegister(IoUringRing ring, ushort groupId, int count, int bufferSize, out IoUringBufferRing? bufferRing)
    {
        ArgumentNullException.ThrowIfNull(ring);
        if (count <= 0 || count > MaxEntries || (count & (count - 1)) != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(count), count, $"A buffer ring holds a power of two of buffers, at most {MaxEntries}.");
        }

        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bufferSize);

        bufferRing = null;
        nuint ringBytes = (nuint)(count * sizeof(IoUringBuf));
        var entries = (IoUringBuf*)NativeMemory.AlignedAlloc(ringBytes, PageSize);
        NativeMemory.Clear(entries, ringBytes);
        IoUringBufReg registration = default;
        registration.RingAddress = (ulong)entries;
        registration.RingEntries = (uint)count;
        registration.GroupId = groupId;
        int result = ring.Register(IoUring.IORING_REGISTER_PBUF_RING, &registration, 1);
        if (result < 0)
        {
            NativeMemory.AlignedFree(entries);
            return IoUringSupport.FromRegisterError("IORING_REGISTER_PBUF_RING", -result);
        }

        var created = new IoUringBufferRing(ring, groupId, count, bufferSize, entries);
        for (int id = 0; id < count; id++)
        {
            created.AddEntry((ushort)id);
        }

        created.Publish();
        bufferRing = created;
        return IoUringSupport.Available($"buffer group {groupId}: {count} × {bufferSize} B");
    }

    /// <summary>Buffer <paramref name="bufferId"/> as memory a reader can hold until it gives it back.</summary>
    public ProvidedBuffer Buffer(ushort bufferId)
    {
        CheckId(bufferId);
        return _buffers[bufferId];
    }

    /// <summary>The first <paramref name="length"/> bytes of buffer <paramref name="bufferId"/> (tests read a raw ring's receives through it).</summary>
    public Span<byte> GetSpan(ushort bufferId, int length) => _slab.AsSpan(Offset(bufferId, length), length);

    /// <summary>
    /// Records that a CQE (IORING_CQE_F_BUFFER) handed buffer <paramref name="bufferId"/> to the application.
    /// Issuer thread only. Throws if the kernel was not holding it: a corrupt or repeated completion.
    /// </summary>
    public void Take(ushort bufferId)
    {
        CheckId(bufferId);
        if (!_withKernel[bufferId])
        {
            throw new InvalidOperationException($"Buffer {bufferId} of group {GroupId} was handed out twice without being recycled.");
        }

        _withKernel[bufferId] = false;
        Volatile.Write(ref _held, _held + 1);
    }

    /// <summary>
    /// Gives buffer <paramref name="bufferId"/> back from any thread: recycled now on the issuer thread,
    /// else queued for its next <see cref="PublishReturned"/>.
    /// </summary>
    public void Return(ushort bufferId)
    {
        if (Environment.CurrentManagedThreadId == _issuerThreadId)
        {
            Recycle(bufferId);
        }
        else
        {
            _returned.Enqueue(bufferId); // a full fence: the wake-up below pairs with the poller's check of the queue
            ForeignReturned?.Invoke();
        }
    }

    /// <summary>Recycles what other threads gave back, then publishes. Issuer thread, once per loop turn.</summary>
    public void PublishReturned()
    {
        while (_returned.TryDequeue(out ushort bufferId))
        {
            Recycle(bufferId);
        }

        Publish();
    }

    /// <summary>Gives buffer <paramref name="bufferId"/> back to the kernel at the next <see cref="Publish"/>. Issuer thread only.</summary>
    public void Recycle(ushort bufferId)
    {
        CheckId(bufferId);
        if (_withKernel[bufferId])
        {
            // Two owners of one buffer would mix two connections' bytes: refuse loudly instead.
            throw new InvalidOperationException($"Buffer {bufferId} of group {GroupId} was recycled while the kernel holds it (recycled twice?).");
        }

        Volatile.Write(ref _held, _held - 1);
        AddEntry(bufferId);
    }

    /// <summary>Makes the recycled buffers visible to the kernel: one release store of the tail. Issuer thread only.</summary>
    public void Publish()
    {
        if (_publishedTail == _tail)
        {
            return;
        }

        Volatile.Write(ref *(ushort*)((byte*)_entries + IoUringBuf.TailOffset), _tail);
        _publishedTail = _tail;
    }

    /// <summary>
    /// Unregisters the group and frees the ring entries. Call only when no receive that selects from
    /// this group is in flight (after their final CQEs), or with the ring already torn down.
    /// </summary>
    public void Dispose()
    {
        if (_entries is null)
        {
            return;
        }

        IoUringBufReg registration = default;
        registration.GroupId = GroupId;
        // Fails harmlessly (EBADF/ENXIO) when the ring is already gone: its teardown dropped the group.
        _ = _ring.Register(IoUring.IORING_UNREGISTER_PBUF_RING, &registration, 1);
        NativeMemory.AlignedFree(_entries);
        _entries = null;
    }

    /// <summary>Puts buffer <paramref name="bufferId"/> at the ring's tail, for the kernel once published.</summary>
    private void AddEntry(ushort bufferId)
    {
        _withKernel[bufferId] = true;
        if (_entries is null)
        {
            return; // disposed: a holder let go after the ring was torn down; there is no kernel to give it to
        }

        // Field by field: entry 0's last two bytes are the ring's tail, which a whole-struct store would clobber.
        IoUringBuf* entry = &_entries[_tail & _mask];
        entry->Address = (ulong)(_slabBase + ((nint)bufferId * BufferSize));
        entry->Length = (uint)BufferSize;
        entry->BufferId = bufferId;
        _tail++;
    }

    private void CheckId(ushort bufferId)
    {
        if (bufferId >= Count)
        {
            throw new ArgumentOutOfRangeException(nameof(bufferId), bufferId, $"Buffer group {GroupId} has {Count} buffers.");
        }
    }

    private int Offset(ushort bufferId, int length)
    {
        if (bufferId >= Count || (uint)length > (uint)BufferSize)
        {
            throw new ArgumentOutOfRangeException(nameof(bufferId), $"Buffer {bufferId} of group {GroupId} ({Count} × {BufferSize} B) has no {length} bytes.");
        }

        return bufferId * BufferSize;
    }
}
