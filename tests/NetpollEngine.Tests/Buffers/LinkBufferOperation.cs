using CsCheck;
using Netpoll.Buffers;

namespace Netpoll.Tests.Buffers;

/// <summary>What one step of a model-based run does to a <see cref="LinkBuffer"/>.</summary>
internal enum LinkBufferOperationKind
{
    WriteSpan,
    WriteCallerMemory,
    WriteString,
    WriteByte,
    MallocAndFill,
    GetSpanAndAdvance,
    GetMemoryAndAdvance,
    Flush,
    Next,
    Peek,
    Skip,
    ReadByte,
    ReadBinary,
    ReadString,
    ReadIntoSpan,
    IndexOf,
    Until,
    Slice,
    ReadSliceFully,
    AppendBuffer,
    AppendSlice,
    ReadableSequenceThenSkip,
    Release,
    FlushReadAllAndRelease,
}

/// <summary>
/// One generated step. <see cref="Size"/> is interpreted against the buffer's state when the step runs
/// (a read size modulo the readable length, a delimiter pick, an offset), so nearly every generated step is valid.
/// </summary>
internal sealed record LinkBufferOperation(LinkBufferOperationKind Kind, int Size, byte[] Data, string Text)
{
    /// <summary>A <see cref="Size"/> meaning "everything there is".</summary>
    public const int All = -1;

    /// <summary>Bytes to take when <paramref name="available"/> are there: all, or Size modulo (available + 1).</summary>
    public int AmountOf(int available) => Size == All ? available : Size % (available + 1);

    public override string ToString() => Kind switch
    {
        LinkBufferOperationKind.WriteString => $"{Kind}(\"{Text.ReplaceLineEndings("\\r\\n")}\")",
        LinkBufferOperationKind.WriteSpan or LinkBufferOperationKind.MallocAndFill => $"{Kind}({Data.Length} B)",
        LinkBufferOperationKind.WriteByte => $"{Kind}(0x{(byte)Size:X2})",
        LinkBufferOperationKind.Flush or LinkBufferOperationKind.Release or LinkBufferOperationKind.ReadByte
            or LinkBufferOperationKind.FlushReadAllAndRelease => $"{Kind}()",
        _ when Data.Length > 0 => $"{Kind}({Data.Length} B, size: {SizeText})",
        _ => $"{Kind}(size: {SizeText})",
    };

    private string SizeText => Size == All ? "all" : Size.ToString(System.Globalization.CultureInfo.InvariantCulture);

    public static Gen<LinkBufferOperation> Gen { get; } = CreateGen();

    private static Gen<LinkBufferOperation> CreateGen()
    {
        Gen<int> size = CsCheck.Gen.Frequency((3, CsCheck.Gen.Int[0, 1 << 16]), (1, CsCheck.Gen.Const(All)));
        Gen<byte[]> small = CsCheck.Gen.Byte.Array[0, 300];
        Gen<byte[]> mallocSized = CsCheck.Gen.Byte.Array[0, 700];

        // Caller memory on both sides of LinkThreshold: copied below it, linked at or above it.
        Gen<byte[]> callerMemory = CsCheck.Gen.Frequency(
            (4, CsCheck.Gen.Byte.Array[0, 300]),
            (1, CsCheck.Gen.Byte.Array[LinkBuffer.LinkThreshold - 64, LinkBuffer.LinkThreshold - 1]),
            (3, CsCheck.Gen.Byte.Array[LinkBuffer.LinkThreshold, (LinkBuffer.LinkThreshold * 2) + 100]));

        // ASCII, multi-byte UTF-8, a surrogate pair and a lone surrogate (encoded as U+FFFD).
        Gen<string> text = CsCheck.Gen.OneOf("a", "Z", "0", " ", "\r\n", "é", "€", "😀", "\uD800").Array[0, 40].Select(string.Concat);

        Gen<LinkBufferOperation> Op(LinkBufferOperationKind kind, Gen<byte[]>? data = null) =>
            CsCheck.Gen.Select(size, data ?? CsCheck.Gen.Const(Array.Empty<byte>()), (s, d) => new LinkBufferOperation(kind, s, d, string.Empty));

        return CsCheck.Gen.Frequency(
            (8, Op(LinkBufferOperationKind.WriteSpan, small)),
            (6, Op(LinkBufferOperationKind.WriteCallerMemory, callerMemory)),
            (3, text.Select(t => new LinkBufferOperation(LinkBufferOperationKind.WriteString, 0, [], t))),
            (3, Op(LinkBufferOperationKind.WriteByte)),
            (5, Op(LinkBufferOperationKind.MallocAndFill, mallocSized)),
            (4, Op(LinkBufferOperationKind.GetSpanAndAdvance, small)),
            (2, Op(LinkBufferOperationKind.GetMemoryAndAdvance, small)),
            (10, Op(LinkBufferOperationKind.Flush)),
            (8, Op(LinkBufferOperationKind.Next)),
            (4, Op(LinkBufferOperationKind.Peek)),
            (4, Op(LinkBufferOperationKind.Skip)),
            (3, Op(LinkBufferOperationKind.ReadByte)),
            (3, Op(LinkBufferOperationKind.ReadBinary)),
            (2, Op(LinkBufferOperationKind.ReadString)),
            (2, Op(LinkBufferOperationKind.ReadIntoSpan)),
            (2, Op(LinkBufferOperationKind.IndexOf)),
            (3, Op(LinkBufferOperationKind.Until)),
            (3, Op(LinkBufferOperationKind.Slice)),
            (2, Op(LinkBufferOperationKind.ReadSliceFully)),
            (3, Op(LinkBufferOperationKind.AppendBuffer, callerMemory)),
            (2, Op(LinkBufferOperationKind.AppendSlice)),
            (3, Op(LinkBufferOperationKind.ReadableSequenceThenSkip)),
            (8, Op(LinkBufferOperationKind.Release)),
            (3, Op(LinkBufferOperationKind.FlushReadAllAndRelease)));
    }
}
