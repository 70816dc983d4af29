using System.Buffers;

namespace Netpoll.Load;

/// <summary>
/// Reads echo replies: each must be exactly the message sent. Compares bytes as they arrive and consumes
/// them, so a message larger than the connection's buffers streams through.
/// </summary>
internal struct EchoReplyReader
{
    private int _matched; // bytes of the current reply already compared

    public string? Error { get; private set; }

    public readonly bool MidResponse => _matched > 0;

    public ReplyStatus Feed(in ReadOnlySequence<byte> input, ReadOnlySpan<byte> message, out long consumed)
    {
        consumed = 0;
        foreach (ReadOnlyMemory<byte> segment in input)
        {
            ReadOnlySpan<byte> span = segment.Span;
            int take = Math.Min(span.Length, message.Length - _matched);
            ReadOnlySpan<byte> expected = message.Slice(_matched, take);
            int differs = span[..take].CommonPrefixLength(expected);
            if (differs < take)
            {
                Error = $"the echo differs from what was sent at byte {_matched + differs}: got '{ByteText.Quote(span.Slice(differs, Math.Min(take - differs, 16)))}'";
                return ReplyStatus.Error;
            }

            _matched += take;
            consumed += take;
            if (_matched == message.Length)
            {
                _matched = 0;
                return ReplyStatus.Complete;
            }
        }

        return ReplyStatus.NeedMore;
    }
}
