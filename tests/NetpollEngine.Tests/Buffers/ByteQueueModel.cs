using System.Runtime.InteropServices;

namespace Netpoll.Tests.Buffers;

/// <summary>
/// The reference a <see cref="LinkBuffer"/> is checked against: a plain FIFO of bytes.
/// Deliberately naive so that it is obviously right.
/// </summary>
internal sealed class ByteQueueModel
{
    private readonly List<byte> _bytes = [];
    private int _head;

    public int Count => _bytes.Count - _head;

    public byte this[int index] => _bytes[_head + index];

    public void Enqueue(ReadOnlySpan<byte> data) => _bytes.AddRange(data);

    public byte[] Peek(int n) => CollectionsMarshal.AsSpan(_bytes).Slice(_head, n).ToArray();

    public byte[] PeekAll() => Peek(Count);

    public byte[] Dequeue(int n)
    {
        byte[] taken = Peek(n);
        _head += n;
        if (_head > 4096 && _head * 2 > _bytes.Count)
        {
            // Compact now and then so a long run stays linear.
            _bytes.RemoveRange(0, _head);
            _head = 0;
        }

        return taken;
    }

    public byte[] DequeueAll() => Dequeue(Count);

    public int IndexOf(byte value) => CollectionsMarshal.AsSpan(_bytes)[_head..].IndexOf(value);
}
