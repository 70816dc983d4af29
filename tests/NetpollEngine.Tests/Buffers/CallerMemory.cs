namespace Netpoll.Tests.Buffers;

/// <summary>
/// Caller-owned memory handed to <see cref="LinkBuffer.WriteBinary(ReadOnlyMemory{byte}, Action{object?}?, object?)"/>.
/// Its release hook counts runs and scribbles over the memory, as a caller reusing it would: if the
/// buffer let go too early, the bytes it later reads are wrong.
/// </summary>
internal sealed class CallerMemory
{
    public const byte Scribble = 0xEE;

    private int _releases;

    public CallerMemory(ReadOnlySpan<byte> data, int offset)
    {
        Array = new byte[offset + data.Length + 7];
        data.CopyTo(Array.AsSpan(offset));
        Memory = Array.AsMemory(offset, data.Length);
    }

    public byte[] Array { get; }

    public ReadOnlyMemory<byte> Memory { get; }

    public int Releases => Volatile.Read(ref _releases);

    public static Action<object?> OnRelease { get; } = static state =>
    {
        var memory = (CallerMemory)state!;
        Interlocked.Increment(ref memory._releases);
        memory.Array.AsSpan().Fill(Scribble);
    };
}
