using System.Buffers;

namespace Netpoll.Protocols;

/// <summary>
/// Decodes a chunked request body (RFC 9112 §7.1) as it arrives, in any pieces:
/// <c>chunk-size [chunk-ext] CRLF chunk-data CRLF ... 0 [chunk-ext] CRLF trailer-section CRLF</c>.
/// Chunk extensions are checked by their grammar and ignored; trailer fields are checked like header
/// fields and kept for routes that want the body. Every line ends with CRLF; a size line is at most
/// <see cref="MaxChunkLineBytes"/>; the data adds up to at most MaxBodyBytes (413); trailers fit
/// MaxHeaderBytes and MaxHeaderCount (431).
/// </summary>
internal struct HttpChunkedDecoder
{
    /// <summary>Longest chunk-size line (size and extensions) accepted.</summary>
    public const int MaxChunkLineBytes = 4096;

    private Stage _stage;
    private long _remaining;     // data bytes left in the current chunk
    private long _total;         // data bytes of the whole body so far
    private int _trailerBytes;
    private int _trailerCount;

    public enum Result
    {
        NeedMore,
        Complete,
        Rejected,
    }

    private enum Stage
    {
        SizeLine,
        Data,
        DataEnd,
        Trailer,
    }

    /// <summary>Data bytes decoded so far.</summary>
    public readonly long Total => _total;

    public void Reset() => this = default;

    /// <summary>
    /// Decodes from the start of <paramref name="input"/> (the first byte not consumed before). Data goes
    /// to <paramref name="sink"/>, or nowhere when it is null. <paramref name="consumed"/> bytes may be dropped from the input.
    /// </summary>
    public Result Decode(in ReadOnlySequence<byte> input, HttpBodyBuffer? sink, HttpServerOptions options, out long consumed, out HttpRejection rejection)
    {
        rejection = default;
        var reader = new SequenceReader<byte>(input);
        while (true)
        {
            consumed = reader.Consumed;
            switch (_stage)
            {
                case Stage.SizeLine:
                    {
                        if (!TryReadLine(ref reader, MaxChunkLineBytes, out ReadOnlySequence<byte> line, ref rejection, 400, "a chunk-size line is longer than 4096 bytes"))
                        {
                            return rejection.IsRejected ? Result.Rejected : Result.NeedMore;
                        }

                        byte[]? rented = null;
                        rejection = OnSizeLine(Contiguous(line, ref rented), options);
                        Return(rented);
                        if (rejection.IsRejected)
                        {
                            return Result.Rejected;
                        }

                        break;
                    }

                case Stage.Data:
                    {
                        long take = Math.Min(_remaining, reader.Remaining);
                        if (take == 0)
                        {
                            return Result.NeedMore;
                        }

                        sink?.Append(reader.UnreadSequence.Slice(0, take));
                        reader.Advance(take);
                        _remaining -= take;
                        if (_remaining == 0)
                        {
                            _stage = Stage.DataEnd;
                        }

                        break;
                    }

                case Stage.DataEnd:
                    {
                        if (reader.Remaining < 2)
                        {
                            // One byte can already be judged: anything but CR is wrong.
                            if (reader.TryPeek(out byte first) && first != (byte)'\r')
                            {
                                rejection = HttpRejection.BadRequest("chunk-data is not followed by CRLF");
                                return Result.Rejected;
                            }

                            return Result.NeedMore;
                        }

                        if (!reader.IsNext("\r\n"u8, advancePast: true))
                        {
                            rejection = HttpRejection.BadRequest("chunk-data is not followed by CRLF");
                            return Result.Rejected;
                        }

                        _stage = Stage.SizeLine;
                        break;
                    }

                case Stage.Trailer:
                    {
                        int budget = options.MaxHeaderBytes - _trailerBytes;
                        if (!TryReadLine(ref reader, budget, out ReadOnlySequence<byte> line, ref rejection, 431, "the trailer section is larger than MaxHeaderBytes"))
                        {
                            return rejection.IsRejected ? Result.Rejected : Result.NeedMore;
                        }

                        _trailerBytes += (int)line.Length + 2;
                        if (line.IsEmpty)
                        {
                            consumed = reader.Consumed;
                            return Result.Complete;
                        }

                        if (++_trailerCount > options.MaxHeaderCount)
                        {
                            rejection = new HttpRejection(431, "the request has more trailer fields than MaxHeaderCount");
                            return Result.Rejected;
                        }

                        byte[]? rented = null;
                        rejection = OnTrailerLine(Contiguous(line, ref rented), sink);
                        Return(rented);
                        if (rejection.IsRejected)
                        {
                            return Result.Rejected;
                        }

                        break;
                    }
            }
        }
    }

    /// <summary>The line as one span: itself when it is in one segment, else copied into a rented array.</summary>
    private static ReadOnlySpan<byte> Contiguous(in ReadOnlySequence<byte> line, ref byte[]? rented)
    {
        if (line.IsSingleSegment)
        {
            return line.FirstSpan;
        }

        rented = ArrayPool<byte>.Shared.Rent((int)line.Length);
        line.CopyTo(rented);
        return rented.AsSpan(0, (int)line.Length);
    }

    private static void Return(byte[]? rented)
    {
        if (rented is not null)
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>Reads a line ending with CRLF (returned without it). False: not complete yet, or rejected (then <paramref name="rejection"/> says why).</summary>
    private static bool TryReadLine(ref SequenceReader<byte> reader, int maxLength, out ReadOnlySequence<byte> line, ref HttpRejection rejection, int tooLongStatus, string tooLong)
    {
        SequenceReader<byte> probe = reader;
        if (!probe.TryReadTo(out ReadOnlySequence<byte> withCr, (byte)'\n', advancePastDelimiter: true))
        {
            line = default;
            // A line still open can already be too long, or hold a CR that is not followed by LF.
            ReadOnlySequence<byte> open = reader.UnreadSequence;
            if (open.Length > maxLength + 1)
            {
                rejection = new HttpRejection(tooLongStatus, tooLong);
            }
            else if (BareCr(open, allowTrailingCr: true))
            {
                rejection = HttpRejection.BadRequest("a CR not followed by LF in the chunked framing");
            }

            return false;
        }

        if (withCr.IsEmpty || !EndsWithCr(withCr))
        {
            line = default;
            rejection = HttpRejection.BadRequest("a LF not preceded by CR in the chunked framing");
            return false;
        }

        line = withCr.Slice(0, withCr.Length - 1);
        if (line.Length > maxLength)
        {
            rejection = new HttpRejection(tooLongStatus, tooLong);
            return false;
        }

        if (BareCr(line, allowTrailingCr: false))
        {
            rejection = HttpRejection.BadRequest("a CR not followed by LF in the chunked framing");
            return false;
        }

        reader = probe;
        return true;
    }

    private static bool EndsWithCr(in ReadOnlySequence<byte> bytes) => bytes.Slice(bytes.Length - 1).FirstSpan[0] == (byte)'\r';

    private static bool BareCr(in ReadOnlySequence<byte> bytes, bool allowTrailingCr)
    {
        long position = bytes.PositionOf((byte)'\r') is { } at ? bytes.Slice(0, at).Length : -1;
        return position >= 0 && !(allowTrailingCr && position == bytes.Length - 1);
    }

    private HttpRejection OnSizeLine(ReadOnlySpan<byte> line, HttpServerOptions options)
    {
        int digits = line.IndexOfAnyExcept(HttpSyntax.HexDigit);
        if (digits < 0)
        {
            digits = line.Length;
        }

        if (digits == 0)
        {
            return HttpRejection.BadRequest("a chunk-size is not hexadecimal");
        }

        long size = 0;
        foreach (byte b in line[..digits])
        {
            // Saturate instead of overflowing: anything this large is over the body limit anyway.
            size = size > int.MaxValue ? size : (size << 4) | (long)HexValue(b);
        }

        if (!ChunkExtensionsAreValid(line[digits..]))
        {
            return HttpRejection.BadRequest("a chunk-ext is not ;name[=token|quoted-string]");
        }

        if (size > options.MaxBodyBytes - _total)
        {
            return new HttpRejection(413, "the chunked body is over MaxBodyBytes");
        }

        _total += size;
        _remaining = size;
        _stage = size == 0 ? Stage.Trailer : Stage.Data;
        return default;
    }

    private static HttpRejection OnTrailerLine(ReadOnlySpan<byte> line, HttpBodyBuffer? sink)
    {
        var fields = new HttpFieldLines(line);
        fields.MoveNext();
        HttpRejection bad = HttpRequestParser.CheckFieldLine(fields);
        if (!bad.IsRejected)
        {
            sink?.AddTrailer(fields.Name, fields.Value);
        }

        return bad;
    }

    /// <summary>chunk-ext = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] ), chunk-ext-val = token / quoted-string.</summary>
    private static bool ChunkExtensionsAreValid(ReadOnlySpan<byte> text)
    {
        int i = 0;
        while (true)
        {
            int start = i;
            i = SkipOws(text, i);
            if (i == text.Length)
            {
                return i == start; // whitespace is only allowed before a ';'
            }

            if (text[i] != (byte)';')
            {
                return false;
            }

            i = SkipOws(text, i + 1);
            int name = i;
            i = SkipToken(text, i);
            if (i == name)
            {
                return false;
            }

            int afterName = i;
            i = SkipOws(text, i);
            if (i < text.Length && text[i] == (byte)'=')
            {
                i = SkipOws(text, i + 1);
                int value = i;
                i = i < text.Length && text[i] == (byte)'"' ? SkipQuotedString(text, i) : SkipToken(text, i);
                if (i <= value)
                {
                    return false;
                }
            }
            else
            {
                i = afterName;
            }
        }
    }

    private static int SkipOws(ReadOnlySpan<byte> text, int i)
    {
        while (i < text.Length && HttpSyntax.IsOws(text[i]))
        {
            i++;
        }

        return i;
    }

    private static int SkipToken(ReadOnlySpan<byte> text, int i)
    {
        int end = text[i..].IndexOfAnyExcept(HttpSyntax.Token);
        return end < 0 ? text.Length : i + end;
    }

    /// <summary>quoted-string = DQUOTE *( qdtext / quoted-pair ) DQUOTE. Returns the index after it, or -1.</summary>
    private static int SkipQuotedString(ReadOnlySpan<byte> text, int i)
    {
        for (i++; i < text.Length; i++)
        {
            byte b = text[i];
            if (b == (byte)'"')
            {
                return i + 1;
            }

            if (b == (byte)'\\')
            {
                i++;
                if (i == text.Length || !HttpSyntax.FieldValueChar.Contains(text[i]))
                {
                    return -1;
                }
            }
            else if (!HttpSyntax.FieldValueChar.Contains(b))
            {
                return -1;
            }
        }

        return -1;
    }

    private static int HexValue(byte b) => b <= '9' ? b - '0' : (b | 0x20) - 'a' + 10;
}
