using System.Buffers;
using System.Text;
using Netpoll.Buffers;

namespace Netpoll.Tests.Buffers;

/// <summary>
/// Applies <see cref="LinkBufferOperation"/>s to a real <see cref="LinkBuffer"/> and to a <see cref="ByteQueueModel"/>
/// side by side, and asserts after every step that they agree: bytes read, lengths, views kept since the
/// last Release, slices, release hooks and, at the end, that every pooled block went back.
/// </summary>
internal sealed class LinkBufferModelChecker
{
    private readonly BufferPool _pool;
    private readonly int _blockSize;
    private readonly LinkBuffer _buffer;
    private readonly ByteQueueModel _readable = new();
    private readonly List<byte> _pending = [];
    private readonly List<(ReadOnlyMemory<byte> View, byte[] Expected, string Origin)> _views = [];
    private readonly List<(LinkBuffer Slice, byte[] Expected)> _slices = [];
    private readonly List<CallerMemory> _callerMemories = [];

    // True when every write since the last Flush is flushed: then a drained buffer must give its memory back on Release.
    private bool _writerIdle = true;

    public LinkBufferModelChecker(BufferPool pool, int blockSize)
    {
        _pool = pool;
        _blockSize = blockSize;
        _buffer = new LinkBuffer(pool, blockSize);
    }

    /// <summary>How often each kind of step ran, indexed by <see cref="LinkBufferOperationKind"/>.</summary>
    public long[] StepCounts { get; } = new long[Enum.GetValues<LinkBufferOperationKind>().Length];

    /// <summary>Releases that found the buffer drained and idle, and checked it gave its memory back.</summary>
    public long GiveBackChecks { get; private set; }

    public void Run(IReadOnlyList<LinkBufferOperation> operations, bool drainBeforeDispose)
    {
        for (int i = 0; i < operations.Count; i++)
        {
            try
            {
                Apply(operations[i]);
                CheckState();
                StepCounts[(int)operations[i].Kind]++;
            }
            catch (Exception e)
            {
                throw new InvalidOperationException($"Step {i} ({operations[i]}) with block size {_blockSize}: {e.Message}", e);
            }
        }

        try
        {
            Finish(drainBeforeDispose);
        }
        catch (Exception e)
        {
            throw new InvalidOperationException($"Finish (drain: {drainBeforeDispose}) with block size {_blockSize}: {e.Message}", e);
        }
    }

    private void Apply(LinkBufferOperation op)
    {
        switch (op.Kind)
        {
            case LinkBufferOperationKind.WriteSpan:
                _writerIdle = false;
                _buffer.WriteBinary(op.Data);
                _pending.AddRange(op.Data);
                break;

            case LinkBufferOperationKind.WriteCallerMemory:
            {
                _writerIdle = false;
                CallerMemory memory = Track(new CallerMemory(op.Data, offset: op.AmountOf(16)));
                _buffer.WriteBinary(memory.Memory, CallerMemory.OnRelease, memory);
                _pending.AddRange(op.Data);
                break;
            }

            case LinkBufferOperationKind.WriteString:
                _writerIdle = false;
                _buffer.WriteString(op.Text);
                _pending.AddRange(Encoding.UTF8.GetBytes(op.Text));
                break;

            case LinkBufferOperationKind.WriteByte:
                _writerIdle = false;
                _buffer.WriteByte((byte)op.Size);
                _pending.Add((byte)op.Size);
                break;

            case LinkBufferOperationKind.MallocAndFill:
            {
                _writerIdle = false;
                Memory<byte> memory = _buffer.Malloc(op.Data.Length);
                Assert.Equal(op.Data.Length, memory.Length);
                op.Data.CopyTo(memory.Span);
                _pending.AddRange(op.Data);
                break;
            }

            case LinkBufferOperationKind.GetSpanAndAdvance:
            {
                _writerIdle = false;
                int hint = op.AmountOf(600);
                Span<byte> span = _buffer.GetSpan(hint);
                Assert.True(span.Length >= Math.Max(hint, 1), $"GetSpan({hint}) returned only {span.Length} bytes.");
                int n = Math.Min(op.Data.Length, span.Length);
                op.Data.AsSpan(0, n).CopyTo(span);
                _buffer.Advance(n);
                _pending.AddRange(op.Data.AsSpan(0, n));
                break;
            }

            case LinkBufferOperationKind.GetMemoryAndAdvance:
            {
                _writerIdle = false;
                int hint = op.AmountOf(600);
                Memory<byte> memory = _buffer.GetMemory(hint);
                Assert.True(memory.Length >= Math.Max(hint, 1), $"GetMemory({hint}) returned only {memory.Length} bytes.");
                int n = Math.Min(op.Data.Length, memory.Length);
                op.Data.AsSpan(0, n).CopyTo(memory.Span);
                _buffer.Advance(n);
                _pending.AddRange(op.Data.AsSpan(0, n));
                break;
            }

            case LinkBufferOperationKind.Flush:
                Flush();
                break;

            case LinkBufferOperationKind.Next:
            {
                int n = op.AmountOf(_readable.Count);
                ReadOnlyMemory<byte> view = _buffer.Next(n);
                KeepView(view, _readable.Dequeue(n), $"Next({n})");
                break;
            }

            case LinkBufferOperationKind.Peek:
            {
                int n = op.AmountOf(_readable.Count);
                ReadOnlyMemory<byte> view = _buffer.Peek(n);
                KeepView(view, _readable.Peek(n), $"Peek({n})");
                break;
            }

            case LinkBufferOperationKind.Skip:
            {
                int n = op.AmountOf(_readable.Count);
                _buffer.Skip(n);
                _readable.Dequeue(n);
                break;
            }

            case LinkBufferOperationKind.ReadByte:
                if (_readable.Count > 0)
                {
                    Assert.Equal(_readable.Dequeue(1)[0], _buffer.ReadByte());
                }

                break;

            case LinkBufferOperationKind.ReadBinary:
            {
                int n = op.AmountOf(_readable.Count);
                Assert.Equal(_readable.Dequeue(n), _buffer.ReadBinary(n));
                break;
            }

            case LinkBufferOperationKind.ReadString:
            {
                int n = op.AmountOf(_readable.Count);
                Assert.Equal(Encoding.UTF8.GetString(_readable.Dequeue(n)), _buffer.ReadString(n));
                break;
            }

            case LinkBufferOperationKind.ReadIntoSpan:
            {
                var destination = new byte[op.AmountOf(_readable.Count + 8)];
                int read = _buffer.Read(destination);
                Assert.Equal(Math.Min(destination.Length, _readable.Count), read);
                Assert.Equal(_readable.Dequeue(read), destination[..read]);
                break;
            }

            case LinkBufferOperationKind.IndexOf:
            {
                byte delimiter = PickDelimiter(op);
                Assert.Equal(_readable.IndexOf(delimiter), _buffer.IndexOf(delimiter));
                break;
            }

            case LinkBufferOperationKind.Until:
            {
                byte delimiter = PickDelimiter(op);
                int at = _readable.IndexOf(delimiter);
                if (at < 0)
                {
                    Assert.Throws<InvalidOperationException>(() => _buffer.Until(delimiter));
                }
                else
                {
                    ReadOnlyMemory<byte> view = _buffer.Until(delimiter);
                    KeepView(view, _readable.Dequeue(at + 1), $"Until(0x{delimiter:X2})");
                }

                break;
            }

            case LinkBufferOperationKind.Slice:
            {
                int n = op.AmountOf(_readable.Count);
                LinkBuffer slice = _buffer.Slice(n);
                _slices.Add((slice, _readable.Dequeue(n)));
                break;
            }

            case LinkBufferOperationKind.ReadSliceFully:
                if (_slices.Count > 0)
                {
                    int index = op.AmountOf(_slices.Count - 1);
                    ReadSliceFully(_slices[index].Slice, _slices[index].Expected, chunk: 1 + op.AmountOf(96));
                    _slices.RemoveAt(index);
                }

                break;

            case LinkBufferOperationKind.AppendBuffer:
                AppendBuffer(op);
                break;

            case LinkBufferOperationKind.AppendSlice:
                if (_slices.Count > 0)
                {
                    int index = op.AmountOf(_slices.Count - 1);
                    (LinkBuffer slice, byte[] expected) = _slices[index];
                    _slices.RemoveAt(index);
                    _writerIdle = false;
                    _buffer.Append(slice);
                    Assert.Equal(0, slice.Length);
                    _pending.AddRange(expected);
                    slice.Dispose();
                }

                break;

            case LinkBufferOperationKind.ReadableSequenceThenSkip:
            {
                ReadOnlySequence<byte> sequence = _buffer.GetReadableSequence();
                Assert.Equal(_readable.Count, sequence.Length);
                Assert.Equal(_readable.PeekAll(), sequence.ToArray());
                int n = op.AmountOf(_readable.Count);
                _buffer.Skip(n);
                _readable.Dequeue(n);
                break;
            }

            case LinkBufferOperationKind.Release:
                Release();
                break;

            case LinkBufferOperationKind.FlushReadAllAndRelease:
            {
                // A handler's usual turn: take everything, then Release, which finds the buffer drained.
                Flush();
                int n = _readable.Count;
                KeepView(_buffer.Next(n), _readable.Dequeue(n), $"Next({n}) of everything");
                Release();
                break;
            }

            default:
                throw new ArgumentOutOfRangeException(nameof(op), op.Kind, "Unknown operation.");
        }
    }

    private void Flush()
    {
        _buffer.Flush();
        _readable.Enqueue(_pending.ToArray());
        _pending.Clear();
        _writerIdle = true;
    }

    private void Release()
    {
        // Views are promised to hold their bytes until Release: check them right before it.
        CheckViews();
        _views.Clear();
        _buffer.Release();
        if (_readable.Count == 0 && _pending.Count == 0 && _writerIdle)
        {
            Assert.False(_buffer.HoldsMemory, "A drained buffer whose writer is idle still holds pooled memory after Release.");
            GiveBackChecks++;
        }
    }

    private void AppendBuffer(LinkBufferOperation op)
    {
        // A second buffer with its own block size, partly read, moved over without copying.
        using var donor = new LinkBuffer(_pool, 64 + ((_blockSize * 7) % 193));
        CallerMemory memory = Track(new CallerMemory(op.Data, offset: 3));
        donor.WriteBinary(memory.Memory, CallerMemory.OnRelease, memory);
        donor.WriteByte(0x5A);
        donor.Flush();
        int skip = op.AmountOf(op.Data.Length);
        donor.Skip(skip);
        _writerIdle = false;
        _buffer.Append(donor);
        Assert.Equal(0, donor.Length);
        donor.Release();
        _pending.AddRange(op.Data.AsSpan(skip));
        _pending.Add(0x5A);
    }

    private byte PickDelimiter(LinkBufferOperation op) =>
        _readable.Count > 0 && op.Size != LinkBufferOperation.All
            ? _readable[op.Size % _readable.Count]
            : (byte)op.Size;

    private static void ReadSliceFully(LinkBuffer slice, byte[] expected, int chunk)
    {
        Assert.Equal(expected.Length, slice.Length);
        int offset = 0;
        while (slice.Length > 0)
        {
            int n = Math.Min(chunk, slice.Length);
            Assert.Equal(expected.AsSpan(offset, n).ToArray(), slice.Next(n).ToArray());
            offset += n;
        }

        slice.Release();
        Assert.False(slice.HoldsMemory, "A fully read slice still holds memory after Release.");
        slice.Dispose();
    }

    private void KeepView(ReadOnlyMemory<byte> view, byte[] expected, string origin)
    {
        Assert.Equal(expected, view.ToArray());
        _views.Add((view, expected, origin));
    }

    private CallerMemory Track(CallerMemory memory)
    {
        _callerMemories.Add(memory);
        return memory;
    }

    private void CheckState()
    {
        Assert.Equal(_readable.Count, _buffer.Length);
        Assert.Equal(_pending.Count, _buffer.MallocLength);
        CheckViews();
    }

    private void CheckViews()
    {
        foreach ((ReadOnlyMemory<byte> view, byte[] expected, string origin) in _views)
        {
            if (!view.Span.SequenceEqual(expected))
            {
                Assert.Fail($"The view from {origin} changed before Release: expected [{Convert.ToHexString(expected)}], now [{Convert.ToHexString(view.Span)}].");
            }
        }
    }

    private void Finish(bool drainBeforeDispose)
    {
        CheckViews();
        if (drainBeforeDispose)
        {
            Flush();
            Assert.Equal(_readable.DequeueAll(), _buffer.ReadBinary(_buffer.Length));
            Release();
            Assert.False(_buffer.HoldsMemory, "A drained buffer still holds pooled memory after Release.");
            foreach ((LinkBuffer slice, byte[] expected) in _slices)
            {
                ReadSliceFully(slice, expected, chunk: 64);
            }
        }
        else
        {
            // Dispose with unread, unflushed and sliced bytes still in place: it must give everything back too.
            foreach ((LinkBuffer slice, _) in _slices)
            {
                slice.Dispose();
            }
        }

        _slices.Clear();
        _buffer.Dispose();
        foreach (CallerMemory memory in _callerMemories)
        {
            Assert.True(memory.Releases == 1, $"A release hook ran {memory.Releases} times instead of once ({memory.Memory.Length} B of caller memory).");
        }

        BufferPoolStatistics stats = _pool.GetStatistics();
        Assert.True(stats.RentedBlocks == 0 && stats.RentedBytes == 0, $"Leak: {stats.RentedBlocks} blocks ({stats.RentedBytes} B) still rented after every buffer was disposed.");
    }
}
