using System.Buffers;

namespace Netpoll.Load;

/// <summary>
/// Reads replies of a user's protocol, framed by a fixed size (<see cref="LoadOptions.ResponseSize"/>) or
/// ended by a delimiter (<see cref="LoadOptions.ResponseDelimiter"/>, such as CRLF for RESP's +PONG). Consumes
/// bytes as they arrive (keeping only a possible start of the delimiter), so a reply of any length streams through.
/// </summary>
internal struct FramedReplyReader
{
    private long _read; // bytes of the current reply consumed so far

    public readonly bool MidResponse => _read > 0;

    public ReplyStatus Feed(in ReadOnlySequence<byte> input, long size, ReadOnlySpan<byte> delimiter, out long consumed)
    {
        if (delimiter.IsEmpty)
        {
            consumed = Math.Min(size - _read, input.Length);
            _read += consumed;
            if (_read < size)
            {
                return ReplyStatus.NeedMore;
            }

            _read = 0;
            return ReplyStatus.Complete;
        }

        if (input.IsSingleSegment)
        {
            int at = input.FirstSpan.IndexOf(delimiter);
            if (at >= 0)
            {
                consumed = at + delimiter.Length;
                _read = 0;
                return ReplyStatus.Complete;
            }
        }
        else
        {
            var reader = new SequenceReader<byte>(input);
            if (reader.TryReadTo(out ReadOnlySequence<byte> _, delimiter, advancePastDelimiter: true))
            {
                consumed = reader.Consumed;
                _read = 0;
                return ReplyStatus.Complete;
            }
        }

        // Not there yet: keep what could be the start of the delimiter, consume the rest.
        consumed = Math.Max(0, input.Length - (delimiter.Length - 1));
        _read += consumed;
        return ReplyStatus.NeedMore;
    }
}
