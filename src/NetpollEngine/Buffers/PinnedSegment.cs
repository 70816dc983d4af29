namespace Netpoll.Buffers;

/// <summary>
/// A run of bytes inside a <see cref="LinkBuffer"/>'s pinned memory: its address and length. What the
/// I/O layer turns into an iovec or a read target; the buffer knows nothing of the syscalls.
/// Valid until the bytes are released (readable runs) or committed (a reserved run).
/// </summary>
internal readonly unsafe struct PinnedSegment(byte* pointer, int length)
{
    public byte* Pointer { get; } = pointer;

    public int Length { get; } = length;
}
