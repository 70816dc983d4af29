using System.Buffers;
using System.Runtime.CompilerServices;
using System.Text;

namespace Netpoll.Buffers;

/// <summary>
/// netpoll's LinkBuffer: a linked list of nodes over pooled pinned memory, with a nocopy reader
/// (Next/Peek/Skip/Until/Slice/Release) and writer (Malloc/WriteBinary/Append/Flush).
/// </summary>
/// <remarks>
/// <para>One reader thread and one writer thread may use a buffer at the same time. The writer
/// publishes bytes with <see cref="Flush"/>; the reader sees exactly <see cref="Length"/> bytes.</para>
/// <para>Views returned by <see cref="Next"/> and <see cref="Peek"/> are valid until <see cref="Release"/>:
/// zero-copy when the bytes lie in one node, assembled once into a pooled block otherwise.
/// Memory returned by <see cref="Malloc"/> is valid until <see cref="Flush"/>.</para>
/// <para>When everything is read and released, the buffer gives its last block and node back: an idle
/// buffer holds no memory and no node.</para>
/// </remarks>
public sealed class LinkBuffer : IBufferWriter<byte>, IDisposable
{
    /// <summary>Default size of a node's block when the writer needs a new one.</summary>
    public const int DefaultBlockSize = 4096;

    /// <summary>Caller memory at least this large is linked by <see cref="WriteBinary(ReadOnlyMemory{byte}, Action{object?}?, object?)"/> instead of copied.</summary>
    public const int LinkThreshold = 4096;

    private const int TailIdle = 0;
    private const int TailWriting = 1;
    private const int TailTrimming = 2;

    private readonly BufferPool _pool;
    private int _blockSize;                 // a new node's block size (64 B–1 MiB); 0 once disposed: the disposed flag, so no field of its own

    // The nodes: _head → … → _read → … → _write, or all three null. A buffer with no node is empty: nothing
    // readable, nothing pending, no memory held — an idle connection's buffers hold no node at all, and the
    // first write after idling needs no cold placeholder. Only two steps cross between the two states, and the
    // tail state excludes each from the other side: the reader's give-back (TailTrimming, writer idle) frees
    // the last node and clears all three; the writer's first link after that (TailWriting, so no give-back
    // runs) sets _write, then _head, then publishes _read. A reader that finds _read null has nothing to do;
    // one that finds it set also finds _head set. While nodes exist, each field is its own side's only.

    // Reader side (written by the writer only when it publishes the first node into an empty buffer).
    private LinkBufferNode? _head;
    private LinkBufferNode? _read;
    private List<BufferBlock>? _assembled;  // blocks that joined bytes across nodes for a contiguous read, until Release; made by the first

    // Writer side (cleared by the reader only when it gives an empty buffer's last node back).
    private LinkBufferNode? _write;
    private int _pending;

    // Shared.
    private int _length;
    private int _tailState;

    public LinkBuffer(BufferPool pool, int blockSize = DefaultBlockSize)
    {
        ArgumentNullException.ThrowIfNull(pool);
        ArgumentOutOfRangeException.ThrowIfLessThan(blockSize, SizeClasses.MinBlockSize);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(blockSize, SizeClasses.MaxBlockSize);
        _pool = pool;
        _blockSize = blockSize;
    }

    /// <summary>Bytes flushed by the writer and not yet read.</summary>
    public int Length => Volatile.Read(ref _length);

    /// <summary>Bytes written (Malloc, Write*, Append) but not yet flushed.</summary>
    public int MallocLength => _pending;

    /// <summary>Whether the buffer holds any pooled memory right now (reader side; an idle, drained buffer holds none).</summary>
    public bool HoldsMemory
    {
        get
        {
            for (LinkBufferNode? n = _head; n is not null; n = n.NextNode)
            {
                if (n.Block is not null)
                {
                    return true;
                }
            }

            return _assembled is { Count: > 0 };
        }
    }

    /// <summary>Whether the buffer has any node (reader side): a drained buffer has none, not even an empty one.</summary>
    internal bool HoldsNode => Volatile.Read(ref _read) is not null;

    internal BufferPool Pool => _pool;

    // ---------------------------------------------------------------- reader

    /// <summary>Returns the next <paramref name="n"/> bytes and moves past them. Valid until <see cref="Release"/>.</summary>
    public ReadOnlyMemory<byte> Next(int n)
    {
        CheckRead(n, nameof(Next));
        if (n == 0)
        {
            return default;
        }

        LinkBufferNode node = SkipExhausted();
        ReadOnlyMemory<byte> view;
        if (node.Readable >= n)
        {
            view = node.Block!.Memory.Slice(node.ReadIndex, n);
            node.ReadIndex += n;
        }
        else
        {
            Memory<byte> copy = Assemble(n);
            CopyOut(copy.Span, consume: true);
            view = copy;
        }

        Interlocked.Add(ref _length, -n);
        return view;
    }

    /// <summary>Returns the next <paramref name="n"/> bytes without moving past them. Valid until <see cref="Release"/>.</summary>
    public ReadOnlyMemory<byte> Peek(int n)
    {
        CheckRead(n, nameof(Peek));
        if (n == 0)
        {
            return default;
        }

        LinkBufferNode node = SkipExhausted();
        if (node.Readable >= n)
        {
            return node.Block!.Memory.Slice(node.ReadIndex, n);
        }

        Memory<byte> copy = Assemble(n);
        CopyOut(copy.Span, consume: false);
        return copy;
    }

    /// <summary>Moves past <paramref name="n"/> bytes.</summary>
    public void Skip(int n)
    {
        CheckRead(n, nameof(Skip));
        Consume(n);
    }

    /// <summary>Reads one byte.</summary>
    public byte ReadByte()
    {
        CheckRead(1, nameof(ReadByte));
        LinkBufferNode node = SkipExhausted();
        byte b = node.Block!.Memory.Span[node.ReadIndex++];
        Interlocked.Decrement(ref _length);
        return b;
    }

    /// <summary>Offset of the first <paramref name="delimiter"/> in the readable bytes, or -1.</summary>
    public int IndexOf(byte delimiter)
    {
        ThrowIfDisposed(nameof(IndexOf));
        int remaining = Length;
        int offset = 0;
        for (LinkBufferNode? node = _read; node is not null && remaining > 0; node = node.NextNode)
        {
            int take = Math.Min(node.Readable, remaining);
            if (take > 0)
            {
                int i = node.Block!.Memory.Span.Slice(node.ReadIndex, take).IndexOf(delimiter);
                if (i >= 0)
                {
                    return offset + i;
                }

                offset += take;
                remaining -= take;
            }
        }

        return -1;
    }

    /// <summary>Returns the bytes up to and including the first <paramref name="delimiter"/> and moves past them.</summary>
    public ReadOnlyMemory<byte> Until(byte delimiter)
    {
        ThrowIfDisposed(nameof(Until));
        int at = IndexOf(delimiter);
        if (at < 0)
        {
            throw new InvalidOperationException($"LinkBuffer.Until: delimiter 0x{delimiter:X2} not found in the {Length} readable bytes.");
        }

        return Next(at + 1);
    }

    /// <summary>Reads <paramref name="n"/> bytes as UTF-8 text.</summary>
    public string ReadString(int n)
    {
        CheckRead(n, nameof(ReadString));
        if (n == 0)
        {
            return string.Empty;
        }

        LinkBufferNode node = SkipExhausted();
        if (node.Readable >= n)
        {
            string s = Encoding.UTF8.GetString(node.Block!.Memory.Span.Slice(node.ReadIndex, n));
            node.ReadIndex += n;
            Interlocked.Add(ref _length, -n);
            return s;
        }

        byte[] bytes = ReadBinary(n);
        return Encoding.UTF8.GetString(bytes);
    }

    /// <summary>Copies the next <paramref name="n"/> bytes into a new array the caller owns.</summary>
    public byte[] ReadBinary(int n)
    {
        CheckRead(n, nameof(ReadBinary));
        byte[] result = n == 0 ? [] : new byte[n];
        CopyOut(result, consume: true);
        Interlocked.Add(ref _length, -n);
        return result;
    }

    /// <summary>Copies readable bytes into <paramref name="destination"/> (up to its length) and moves past them.</summary>
    public int Read(Span<byte> destination)
    {
        ThrowIfDisposed(nameof(Read));
        int n = Math.Min(destination.Length, Length);
        if (n > 0)
        {
            CopyOut(destination[..n], consume: true);
            Interlocked.Add(ref _length, -n);
        }

        return n;
    }

    /// <summary>
    /// Moves the next <paramref name="n"/> bytes into a new buffer that shares their memory (no copy).
    /// The slice stays valid after this buffer's <see cref="Release"/>; dispose it when done.
    /// </summary>
    public LinkBuffer Slice(int n)
    {
        CheckRead(n, nameof(Slice));
        var slice = new LinkBuffer(_pool, _blockSize);
        if (n > 0)
        {
            (LinkBufferNode first, LinkBufferNode last) = ShareAndConsume(n);
            slice.LinkChain(first, last, n);
            slice.Flush();
        }

        return slice;
    }

    /// <summary>
    /// Frees what has been read: nodes behind the read position and assembled views. Views from
    /// Next/Peek are invalid afterwards. When nothing is left, the last block goes back too.
    /// </summary>
    public void Release()
    {
        ThrowIfDisposed(nameof(Release));
        if (Volatile.Read(ref _read) is not { } read)
        {
            ReleaseAssembled(); // no node: nothing was written since the buffer was last empty
            return;
        }

        // NextNode first: once a node has a successor the writer never writes into it again, so a Readable of 0
        // read after that is final. Read the other way round, the writer could fill the tail and link a new node
        // between the two reads, and a node with unread bytes would be freed.
        while (read.NextNode is { } next && read.Readable == 0)
        {
            read = next;
        }

        _read = read;
        while (_head != read)
        {
            LinkBufferNode done = _head!;
            _head = done.NextNode;
            FreeNode(done);
        }

        ReleaseAssembled();
        if (Length == 0)
        {
            TryGiveBackTail(read);
        }
    }

    /// <summary>
    /// A view of all readable bytes, valid until the next Next/Skip/Slice/Release.
    /// Reading through it does not move the read position; call <see cref="Skip"/> after.
    /// </summary>
    public ReadOnlySequence<byte> GetReadableSequence()
    {
        ThrowIfDisposed(nameof(GetReadableSequence));
        int remaining = Length;
        if (remaining == 0)
        {
            return ReadOnlySequence<byte>.Empty;
        }

        LinkBufferNode first = SkipExhausted();
        LinkBufferNode node = first;
        long running = 0;
        while (true)
        {
            int take = Math.Min(node.Readable, remaining);
            node.SetSequenceWindow(node.ReadIndex + take, running);
            running += take;
            remaining -= take;
            if (remaining == 0)
            {
                return new ReadOnlySequence<byte>(first, 0, node, take);
            }

            node = node.NextNode!;
        }
    }

    // ---------------------------------------------------------------- writer

    /// <summary>Returns <paramref name="n"/> contiguous writable bytes at the end. Valid until <see cref="Flush"/>.</summary>
    public Memory<byte> Malloc(int n)
    {
        ThrowIfDisposed(nameof(Malloc));
        CheckContiguousWrite(n, nameof(Malloc));
        if (n == 0)
        {
            return default;
        }

        LinkBufferNode tail = WritableTail(n);
        Memory<byte> memory = tail.Block!.Memory.Slice(tail.WriteIndex, n);
        tail.WriteIndex += n;
        _pending += n;
        return memory;
    }

    /// <inheritdoc/>
    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        ThrowIfDisposed(nameof(GetMemory));
        CheckContiguousWrite(sizeHint, nameof(GetMemory));
        return WritableTail(Math.Max(sizeHint, 1)).WritableMemory;
    }

    /// <inheritdoc/>
    public Span<byte> GetSpan(int sizeHint = 0)
    {
        ThrowIfDisposed(nameof(GetSpan));
        CheckContiguousWrite(sizeHint, nameof(GetSpan));
        return WritableTail(Math.Max(sizeHint, 1)).WritableSpan;
    }

    /// <inheritdoc/>
    public void Advance(int count)
    {
        ThrowIfDisposed(nameof(Advance));
        LinkBufferNode? tail = _write;
        int writable = tail?.Writable ?? 0;
        if (count < 0 || count > writable)
        {
            throw new ArgumentOutOfRangeException(nameof(count), count, $"LinkBuffer.Advance: count must be between 0 and the {writable} bytes last returned by GetMemory/GetSpan.");
        }

        CheckRoom(count, nameof(Advance));
        if (tail is null)
        {
            return; // Advance(0) on a buffer with no node
        }

        tail.WriteIndex += count;
        _pending += count;
    }

    /// <summary>
    /// Copies <paramref name="data"/> to the end: into the tail if it fits there, else into one new block
    /// big enough for all of it (up to the largest pooled block), as netpoll's malloc does. One write stays
    /// one node, so a reader's Next over it is a view, not an assembling copy.
    /// </summary>
    public void WriteBinary(ReadOnlySpan<byte> data)
    {
        ThrowIfDisposed(nameof(WriteBinary));
        CheckRoom(data.Length, nameof(WriteBinary));
        while (!data.IsEmpty)
        {
            LinkBufferNode tail = WritableTail(Math.Min(data.Length, SizeClasses.MaxBlockSize));
            Span<byte> span = tail.WritableSpan;
            int take = Math.Min(span.Length, data.Length);
            data[..take].CopyTo(span);
            tail.WriteIndex += take;
            _pending += take;
            data = data[take..];
        }
    }

    /// <summary>
    /// Adds caller memory: copied when small, linked without copying when at least
    /// <see cref="LinkThreshold"/> bytes. <paramref name="onRelease"/> runs once when no buffer
    /// needs the memory any more (at once, if it was copied).
    /// </summary>
    public void WriteBinary(ReadOnlyMemory<byte> data, Action<object?>? onRelease, object? state = null)
    {
        ThrowIfDisposed(nameof(WriteBinary));
        CheckRoom(data.Length, nameof(WriteBinary));
        if (data.Length < LinkThreshold)
        {
            WriteBinary(data.Span);
            onRelease?.Invoke(state);
            return;
        }

        LinkExternal(data, onRelease, state);
    }

    /// <summary>
    /// Links caller memory as the next node without copying, whatever its size, and publishes it: the
    /// reader sees it at once. <paramref name="onRelease"/> runs once when no buffer views the memory.
    /// Writer side (a receive completion handing over the buffer the kernel filled).
    /// </summary>
    internal void LinkAndPublish(ReadOnlyMemory<byte> data, Action<object?> onRelease, object? state)
    {
        ThrowIfDisposed(nameof(LinkAndPublish));
        CheckRoom(data.Length, nameof(LinkAndPublish));
        LinkExternal(data, onRelease, state);
        Flush();
    }

    /// <summary>Writes <paramref name="text"/> as UTF-8.</summary>
    public void WriteString(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        ThrowIfDisposed(nameof(WriteString));
        if ((long)text.Length * 3 > int.MaxValue - _pending - Length)
        {
            // Might not fit: count exactly, so a rejected string leaves nothing half written.
            CheckRoom(Encoding.UTF8.GetByteCount(text), nameof(WriteString));
        }

        Encoding.UTF8.GetBytes(text.AsSpan(), this);
    }

    /// <summary>Writes one byte.</summary>
    public void WriteByte(byte value)
    {
        ThrowIfDisposed(nameof(WriteByte));
        GetSpan(1)[0] = value;
        Advance(1);
    }

    /// <summary>
    /// Moves all readable bytes of <paramref name="other"/> to the end of this buffer without copying
    /// (the memory is shared by reference count). Publish them with <see cref="Flush"/>.
    /// </summary>
    public void Append(LinkBuffer other)
    {
        ArgumentNullException.ThrowIfNull(other);
        ThrowIfDisposed(nameof(Append));
        if (ReferenceEquals(other, this))
        {
            throw new ArgumentException("LinkBuffer.Append: a buffer cannot be appended to itself.", nameof(other));
        }

        if (other.IsDisposed)
        {
            throw new ObjectDisposedException(nameof(LinkBuffer), "LinkBuffer.Append: the buffer to append was disposed.");
        }

        int n = other.Length;
        if (n == 0)
        {
            return;
        }

        CheckRoom(n, nameof(Append));

        (LinkBufferNode first, LinkBufferNode last) = other.ShareAndConsume(n);
        LinkChain(first, last, n);
    }

    /// <summary>
    /// Moves the next <paramref name="n"/> readable bytes of <paramref name="source"/> to the end of this
    /// buffer without copying and without allocating: pooled nodes share the memory by reference count.
    /// The source's reader and this buffer's writer must be the caller's. Publish with <see cref="Flush"/>.
    /// </summary>
    public void AppendFrom(LinkBuffer source, int n)
    {
        ArgumentNullException.ThrowIfNull(source);
        ThrowIfDisposed(nameof(AppendFrom));
        if (ReferenceEquals(source, this))
        {
            throw new ArgumentException("LinkBuffer.AppendFrom: a buffer cannot be appended to itself.", nameof(source));
        }

        source.CheckRead(n, nameof(AppendFrom));
        if (n == 0)
        {
            return;
        }

        CheckRoom(n, nameof(AppendFrom));
        (LinkBufferNode first, LinkBufferNode last) = source.ShareAndConsume(n);
        LinkChain(first, last, n);
    }

    /// <summary>Publishes everything written since the last flush to the reader.</summary>
    public void Flush()
    {
        ThrowIfDisposed(nameof(Flush));
        int n = _pending;
        if (n > 0)
        {
            // Cannot pass int.MaxValue: every write checked its room (CheckRoom) first.
            _pending = 0;
            Interlocked.Add(ref _length, n);
        }

        if (_tailState == TailWriting)
        {
            Volatile.Write(ref _tailState, TailIdle);
        }
    }

    // ---------------------------------------------------------------- reactor views

    /// <summary>
    /// Fills <paramref name="segments"/> with the readable bytes in order, at most its length of them;
    /// returns how many were filled and, in <paramref name="bytes"/>, how many bytes they hold.
    /// Reader side: the segments stay valid until the bytes are released.
    /// </summary>
    internal unsafe int GetReadableSegments(Span<PinnedSegment> segments, out int bytes)
    {
        int remaining = Length;
        bytes = 0;
        int count = 0;
        for (LinkBufferNode? node = _read; node is not null && remaining > 0 && count < segments.Length; node = node.NextNode)
        {
            int take = Math.Min(node.Readable, remaining);
            if (take > 0)
            {
                segments[count++] = new PinnedSegment(node.Block!.Pointer + node.ReadIndex, take);
                bytes += take;
                remaining -= take;
            }
        }

        return count;
    }

    /// <summary>
    /// Reserves contiguous free space at the end for a read syscall: at least <paramref name="minimum"/>
    /// bytes, in a new block of <paramref name="preferred"/> bytes when the tail has less.
    /// Follow with <see cref="CommitReserved"/>.
    /// </summary>
    internal unsafe PinnedSegment ReserveForRead(int minimum, int preferred)
    {
        ThrowIfDisposed(nameof(ReserveForRead));
        LinkBufferNode tail = WritableTail(minimum, preferred);
        return new PinnedSegment(tail.Block!.Pointer + tail.WriteIndex, tail.Writable);
    }

    /// <summary>Accounts <paramref name="n"/> bytes written into the reserved space and publishes them.</summary>
    internal void CommitReserved(int n)
    {
        if (n > 0)
        {
            Advance(n);
        }

        Flush();
    }

    /// <summary>Frees every node and assembled view. The buffer is unusable afterwards. Not thread-safe with other calls.</summary>
    public void Dispose()
    {
        if (IsDisposed)
        {
            return;
        }

        _blockSize = 0;
        ReleaseAssembled();
        LinkBufferNode? node = _head;
        while (node is not null)
        {
            LinkBufferNode? next = node.NextNode;
            FreeNode(node);
            node = next;
        }

        _head = _read = _write = null;

        _length = 0;
        _pending = 0;
    }

    // ---------------------------------------------------------------- internals

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void CheckRead(int n, string operation)
    {
        ThrowIfDisposed(operation);
        if ((uint)n > (uint)Length)
        {
            ThrowBadRead(n, operation);
        }
    }

    private void ThrowBadRead(int n, string operation)
    {
        if (n < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(n), n, $"LinkBuffer.{operation}: size must be zero or more, got {n}.");
        }

        throw new ArgumentOutOfRangeException(nameof(n), n, $"LinkBuffer.{operation}: asked for {n} bytes but only {Length} are readable.");
    }

    private bool IsDisposed => _blockSize == 0;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void ThrowIfDisposed(string operation)
    {
        if (IsDisposed)
        {
            ThrowDisposed(operation);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowDisposed(string operation) =>
        throw new ObjectDisposedException(nameof(LinkBuffer), $"LinkBuffer.{operation}: the buffer was disposed; its memory went back to the pool.");

    /// <summary>
    /// Rejects a write of <paramref name="n"/> bytes that would take readable plus unflushed bytes past int.MaxValue,
    /// before anything changes (otherwise the pending count or Length would wrap).
    /// Only the writer adds bytes and the reader only removes them, so the check cannot be invalidated by the reader.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void CheckRoom(int n, string operation)
    {
        if (n > int.MaxValue - _pending - Length)
        {
            ThrowNoRoom(n, operation);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ThrowNoRoom(int n, string operation) =>
        throw new InvalidOperationException(
            $"LinkBuffer.{operation}: {n} more bytes would pass the {int.MaxValue} bytes a LinkBuffer can hold ({Length} readable, {_pending} unflushed).");

    /// <summary>Validates a request for <paramref name="n"/> contiguous writable bytes (Malloc, GetSpan, GetMemory).</summary>
    private void CheckContiguousWrite(int n, string operation, [CallerArgumentExpression(nameof(n))] string paramName = "")
    {
        if (n < 0)
        {
            throw new ArgumentOutOfRangeException(paramName, n, $"LinkBuffer.{operation}: size must be zero or more, got {n}.");
        }

        CheckRoom(n, operation);
        if (n > Array.MaxLength)
        {
            throw new ArgumentOutOfRangeException(paramName, n, $"LinkBuffer.{operation}: {n} contiguous bytes is more than the largest possible block ({Array.MaxLength}).");
        }
    }

    /// <summary>Advances the read node past nodes with nothing left; only called when bytes are readable.</summary>
    private LinkBufferNode SkipExhausted()
    {
        LinkBufferNode node = _read!;
        while (node.Readable == 0)
        {
            node = node.NextNode!;
        }

        _read = node;
        return node;
    }

    private void Consume(int n)
    {
        if (n == 0)
        {
            return; // the buffer may have no node, and the writer may be publishing its first: leave _read alone
        }

        int left = n;
        LinkBufferNode node = _read!;
        while (left > 0)
        {
            int take = Math.Min(node.Readable, left);
            node.ReadIndex += take;
            left -= take;
            if (left > 0)
            {
                node = node.NextNode!;
            }
        }

        _read = node;
        Interlocked.Add(ref _length, -n);
    }

    /// <summary>Copies the next destination.Length bytes; moves the read position when <paramref name="consume"/>. The caller adjusts Length.</summary>
    private void CopyOut(Span<byte> destination, bool consume)
    {
        if (destination.IsEmpty)
        {
            return; // as in Consume: a buffer with no node has nothing to copy, and _read is not the reader's to clear
        }

        LinkBufferNode node = _read!;
        int readIndex = node.ReadIndex;
        int copied = 0;
        while (copied < destination.Length)
        {
            int take = Math.Min(node.WriteIndex - readIndex, destination.Length - copied);
            if (take > 0)
            {
                node.Block!.Memory.Span.Slice(readIndex, take).CopyTo(destination[copied..]);
                copied += take;
                readIndex += take;
                if (consume)
                {
                    node.ReadIndex = readIndex;
                }
            }

            if (copied < destination.Length)
            {
                node = node.NextNode!;
                readIndex = node.ReadIndex;
            }
        }

        if (consume)
        {
            _read = node;
        }
    }

    private Memory<byte> Assemble(int n)
    {
        BufferBlock block = _pool.Rent(n);
        (_assembled ??= new List<BufferBlock>(4)).Add(block);
        return block.Memory[..n];
    }

    /// <summary>Gives back the blocks assembled for contiguous reads (Release, Dispose). Reader side.</summary>
    private void ReleaseAssembled()
    {
        if (_assembled is not { Count: > 0 } assembled)
        {
            return;
        }

        foreach (BufferBlock block in assembled)
        {
            block.ReleaseReference();
        }

        assembled.Clear();
    }

    /// <summary>Builds a chain of read-only nodes sharing the next <paramref name="n"/> bytes, and consumes them.</summary>
    private (LinkBufferNode First, LinkBufferNode Last) ShareAndConsume(int n)
    {
        LinkBufferNode? first = null;
        LinkBufferNode? last = null;
        int left = n;
        LinkBufferNode node = _read!;
        while (left > 0)
        {
            int take = Math.Min(node.Readable, left);
            if (take > 0)
            {
                node.Block!.AddReference();
                LinkBufferNode copy = _pool.RentNode();
                copy.Init(node.Block!, node.ReadIndex, node.ReadIndex + take, readOnly: true);
                if (last is null)
                {
                    first = copy;
                }
                else
                {
                    last.Link(copy);
                }

                last = copy;
                node.ReadIndex += take;
                left -= take;
            }

            if (left > 0)
            {
                node = node.NextNode!;
            }
        }

        _read = node;
        Interlocked.Add(ref _length, -n);
        return (first!, last!);
    }

    /// <summary>Links caller memory after the tail as one read-only node of pending (unflushed) bytes.</summary>
    private void LinkExternal(ReadOnlyMemory<byte> data, Action<object?>? onRelease, object? state)
    {
        EnterWriting();
        BufferBlock block = _pool.RentExternal(data, onRelease, state);
        LinkBufferNode node = _pool.RentNode();
        node.Init(block, 0, data.Length, readOnly: true);
        LinkAtTail(node, node);
        _pending += data.Length;
    }

    /// <summary>Links a chain of nodes after the tail as pending (unflushed) bytes.</summary>
    private void LinkChain(LinkBufferNode first, LinkBufferNode last, int n)
    {
        EnterWriting();
        LinkAtTail(first, last);
        _pending += n;
    }

    /// <summary>
    /// Links the chain first…last after the tail; into a buffer with no node, publishes it as the reader's
    /// first node too (see the fields). Writer side, between EnterWriting and Flush.
    /// </summary>
    private void LinkAtTail(LinkBufferNode first, LinkBufferNode last)
    {
        if (_write is { } tail)
        {
            tail.Link(first);
        }
        else
        {
            _head = first;
            Volatile.Write(ref _read, first); // after _head: a reader that sees _read sees _head
        }

        _write = last;
    }

    /// <summary>Returns the tail with at least <paramref name="minimum"/> writable bytes, adding a node when needed.</summary>
    private LinkBufferNode WritableTail(int minimum, int preferred = 0)
    {
        EnterWriting();
        if (_write is { } tail && tail.Writable >= minimum)
        {
            return tail;
        }

        BufferBlock block = _pool.Rent(Math.Max(Math.Max(minimum, preferred), _blockSize));
        LinkBufferNode node = _pool.RentNode();
        node.Init(block, 0, 0, readOnly: false);
        LinkAtTail(node, node);
        return node;
    }

    /// <summary>
    /// Marks the writer busy with the tail until the next Flush, so the reader never takes back the
    /// block being written. Waits only while the reader is in its few-instruction give-back.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void EnterWriting()
    {
        if (_tailState != TailWriting)
        {
            EnterWritingSlow();
        }
    }

    private void EnterWritingSlow()
    {
        var spinner = default(SpinWait);
        while (Interlocked.CompareExchange(ref _tailState, TailWriting, TailIdle) == TailTrimming)
        {
            spinner.SpinOnce();
        }
    }

    /// <summary>
    /// Gives the last node and its block back when everything was read and the writer is not mid-write: the
    /// buffer is left with no node. Reader side, after Release moved _head up to <paramref name="tail"/>.
    /// </summary>
    private void TryGiveBackTail(LinkBufferNode tail)
    {
        if (Interlocked.CompareExchange(ref _tailState, TailTrimming, TailIdle) != TailIdle)
        {
            return; // the writer is filling the tail; the next Release will try again
        }

        if (tail == _write && _pending == 0 && Length == 0 && tail.Readable == 0)
        {
            _head = _read = _write = null;
            FreeNode(tail);
        }

        Volatile.Write(ref _tailState, TailIdle);
    }

    private void FreeNode(LinkBufferNode node)
    {
        node.Block?.ReleaseReference();
        node.Clear();
        _pool.ReturnNode(node);
    }
}
