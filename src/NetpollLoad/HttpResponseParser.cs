using System.Buffers;
using System.Globalization;
using System.Text;

namespace Netpoll.Load;

/// <summary>
/// Reads HTTP/1.1 responses (RFC 9112) incrementally, as their bytes arrive, without allocating: the status
/// line and headers once the header section is complete (at most <see cref="MaxHeadBytes"/>), then the body
/// by Content-Length, by chunks (with trailers), or until the server closes; 1xx responses are skipped
/// (101 is an error: no request asks to switch protocols); HEAD, 204 and 304 have no body. Body bytes are
/// consumed as they come, so a body larger than any buffer streams through. Anything that breaks the
/// protocol ends in <see cref="ReplyStatus.Error"/> with <see cref="Error"/> saying how — never an exception,
/// never a wait for bytes that cannot come (a bounded search for every terminator).
/// </summary>
/// <remarks>
/// <para>Lenient where a user agent must or may be (curl, Go's client under k6 and wrk's http_parser all are): a line
/// may end in a bare LF (RFC 9112 §2.2), an obs-fold continues its field's value (§5.2: a user agent replaces it with
/// a space; a folded Content-Length is refused, as framing must not hang on it), and whitespace-led lines before the
/// first field are skipped (§2.2). A bare CR, a NUL or a malformed field is still an error.</para>
/// </remarks>
/// <remarks>
/// Use: call <see cref="Feed"/> with the unconsumed bytes; skip the bytes it says it consumed; call again after
/// <see cref="ReplyStatus.Complete"/> or <see cref="ReplyStatus.Interim"/> while bytes remain. State carries
/// over between calls, so a response may be split anywhere.
/// </remarks>
internal struct HttpResponseParser
{
    /// <summary>Largest header section (status line and headers), and largest trailer section.</summary>
    public const int MaxHeadBytes = 64 * 1024;

    /// <summary>Largest chunk-size line (size and extensions).</summary>
    public const int MaxChunkLineBytes = 4 * 1024;

    private static ReadOnlySpan<byte> Lf => "\n"u8;

    private State _state;
    private long _remaining;   // Body, ChunkData: bytes still to consume
    private int _scanned;      // Head, ChunkSize, Trailers: bytes already searched for the terminator (relative to the input's start)
    private int _trailerBytes; // Trailers: bytes of trailer lines so far

    private enum State : byte
    {
        Head,
        Body,
        ChunkSize,
        ChunkData,
        ChunkDataEnd,
        Trailers,
        UntilClose,
    }

    /// <summary>The status of the last response read (the final one, or the interim one after <see cref="ReplyStatus.Interim"/>).</summary>
    public int StatusCode { get; private set; }

    /// <summary>The server closes the connection after the last complete response (Connection: close, HTTP/1.0, a body read until close).</summary>
    public bool CloseAfter { get; private set; }

    /// <summary>How the bytes broke the protocol, after <see cref="ReplyStatus.Error"/>.</summary>
    public string? Error { get; private set; }

    /// <summary>The body is being read until the server closes: that close completes the response (see <see cref="CompleteAtClose"/>).</summary>
    public readonly bool ReadingUntilClose => _state == State.UntilClose;

    /// <summary>A response has begun and is not complete: a close now cuts it short.</summary>
    public readonly bool MidResponse => _state != State.Head || _scanned > 0;

    /// <summary>Reads from <paramref name="input"/> (the bytes not consumed before).</summary>
    /// <param name="input">Buffered bytes.</param>
    /// <param name="headRequest">The request this response answers was HEAD: no body, whatever the headers say.</param>
    /// <param name="scratch">Where a header section split across buffer segments is copied (grown on demand, kept by the caller).</param>
    /// <param name="consumed">How many bytes of <paramref name="input"/> to skip now.</param>
    public ReplyStatus Feed(in ReadOnlySequence<byte> input, bool headRequest, ref byte[]? scratch, out long consumed)
    {
        consumed = 0;
        while (true)
        {
            ReadOnlySequence<byte> rest = input.Slice(consumed);
            switch (_state)
            {
                case State.Head:
                {
                    int lineBreak = LineBreakAtStart(rest);
                    if (lineBreak > 0)
                    {
                        consumed += lineBreak; // a stray empty line between responses (some servers end bodies with one)
                        continue;
                    }

                    if (lineBreak < 0)
                    {
                        return ReplyStatus.NeedMore; // a CR alone: its LF is due
                    }

                    long end = IndexOfHeadEnd(rest, _scanned, MaxHeadBytes, out long headLength);
                    if (end < 0)
                    {
                        if (rest.Length > MaxHeadBytes)
                        {
                            return FailStatus($"no end of the header section within {MaxHeadBytes / 1024} KiB");
                        }

                        _scanned = (int)rest.Length;
                        return ReplyStatus.NeedMore;
                    }

                    ReadOnlySpan<byte> head = Contiguous(rest.Slice(0, headLength), ref scratch);
                    consumed += end + 1;
                    _scanned = 0;
                    Framing framing = ParseHead(head, headRequest);
                    switch (framing)
                    {
                        case Framing.Invalid:
                            return ReplyStatus.Error;
                        case Framing.Interim:
                            return ReplyStatus.Interim;
                        case Framing.None:
                            return ReplyStatus.Complete;
                        default:
                            continue; // the body follows
                    }
                }

                case State.Body:
                case State.ChunkData:
                {
                    long take = Math.Min(_remaining, rest.Length);
                    consumed += take;
                    _remaining -= take;
                    if (_remaining > 0)
                    {
                        return ReplyStatus.NeedMore;
                    }

                    if (_state == State.Body)
                    {
                        Done();
                        return ReplyStatus.Complete;
                    }

                    _state = State.ChunkDataEnd;
                    continue;
                }

                case State.ChunkDataEnd:
                {
                    int chunkEnd = LineBreakAtStart(rest);
                    if (chunkEnd < 0 || rest.Length == 0)
                    {
                        return ReplyStatus.NeedMore;
                    }

                    if (chunkEnd == 0)
                    {
                        return FailStatus($"chunk data not followed by CRLF but by '{ByteText.Quote(Contiguous(rest.Slice(0, Math.Min(rest.Length, 16)), ref scratch))}'");
                    }

                    consumed += chunkEnd;
                    _state = State.ChunkSize;
                    continue;
                }

                case State.ChunkSize:
                {
                    long end = IndexOf(rest, Lf, _scanned, MaxChunkLineBytes);
                    if (end < 0)
                    {
                        if (rest.Length > MaxChunkLineBytes)
                        {
                            return FailStatus($"no end of a chunk-size line within {MaxChunkLineBytes / 1024} KiB");
                        }

                        _scanned = (int)rest.Length;
                        return ReplyStatus.NeedMore;
                    }

                    ReadOnlySpan<byte> line = WithoutCr(Contiguous(rest.Slice(0, end), ref scratch));
                    if (!TryParseChunkSize(line, out long size))
                    {
                        return ReplyStatus.Error;
                    }

                    consumed += end + 1;
                    _scanned = 0;
                    if (size == 0)
                    {
                        _state = State.Trailers;
                        _trailerBytes = 0;
                    }
                    else
                    {
                        _state = State.ChunkData;
                        _remaining = size;
                    }

                    continue;
                }

                case State.Trailers:
                {
                    long end = IndexOf(rest, Lf, _scanned, MaxHeadBytes - _trailerBytes);
                    if (end < 0)
                    {
                        if (_trailerBytes + rest.Length > MaxHeadBytes)
                        {
                            return FailStatus($"no end of the trailer section within {MaxHeadBytes / 1024} KiB");
                        }

                        _scanned = (int)rest.Length;
                        return ReplyStatus.NeedMore;
                    }

                    consumed += end + 1;
                    _scanned = 0;
                    ReadOnlySpan<byte> line = WithoutCr(Contiguous(rest.Slice(0, end), ref scratch));
                    if (line.IsEmpty)
                    {
                        Done();
                        return ReplyStatus.Complete;
                    }

                    if (!TryTakeLine(ref line, "a trailer line", out ReadOnlySpan<byte> trailer) || (!IsFolded(trailer) && !TryParseField(trailer, out _, out _)))
                    {
                        return ReplyStatus.Error; // a folded trailer line continues its field, which nothing reads
                    }

                    _trailerBytes += (int)end + 1;
                    if (_trailerBytes > MaxHeadBytes)
                    {
                        return FailStatus($"a trailer section over {MaxHeadBytes / 1024} KiB");
                    }

                    continue;
                }

                case State.UntilClose:
                    consumed += rest.Length;
                    return ReplyStatus.NeedMore;

                default:
                    return FailStatus($"parser state {_state}");
            }
        }
    }

    /// <summary>The server closed the connection: true when that completes the response being read (a body read until close).</summary>
    public bool CompleteAtClose()
    {
        if (_state != State.UntilClose)
        {
            return false;
        }

        Done();
        return true;
    }

    /// <summary>The header fields that frame a response (the rest are read past).</summary>
    private enum Field : byte
    {
        None,
        ContentLength,
        TransferEncoding,
        Connection,
        Other,
    }

    private enum Framing : byte
    {
        Invalid,
        Interim,
        None,
        Body,
    }

    /// <summary>Parses a header section (status line and fields, without the final CRLFCRLF) and sets up the body's framing.</summary>
    private Framing ParseHead(ReadOnlySpan<byte> head, bool headRequest)
    {
        ReadOnlySpan<byte> fields = head;
        if (!TryTakeLine(ref fields, "the status line", out ReadOnlySpan<byte> statusLine) || !TryParseStatusLine(statusLine, out int code, out bool http10))
        {
            return Framing.Invalid;
        }

        StatusCode = code;
        long contentLength = -1;
        bool transferEncoding = false, chunked = false, close = false, keepAlive = false;
        Field field = Field.None; // the field the last line belonged to: an obs-fold continues it
        while (!fields.IsEmpty)
        {
            if (!TryTakeLine(ref fields, "a header line", out ReadOnlySpan<byte> line))
            {
                return Framing.Invalid;
            }

            scoped ReadOnlySpan<byte> value;
            if (IsFolded(line))
            {
                // obs-fold: more of the last field's value (RFC 9112 §5.2). Before any field, a whitespace-led line is skipped (§2.2).
                value = Trim(line);
                if (field == Field.ContentLength)
                {
                    Fail($"a folded Content-Length: '{ByteText.Quote(line)}'");
                    return Framing.Invalid;
                }
            }
            else if (TryParseField(line, out ReadOnlySpan<byte> name, out value))
            {
                field = Ascii.EqualsIgnoreCase(name, "Content-Length"u8) ? Field.ContentLength
                    : Ascii.EqualsIgnoreCase(name, "Transfer-Encoding"u8) ? Field.TransferEncoding
                    : Ascii.EqualsIgnoreCase(name, "Connection"u8) ? Field.Connection
                    : Field.Other;
            }
            else
            {
                return Framing.Invalid;
            }

            if (value.IsEmpty)
            {
                continue;
            }

            switch (field)
            {
                case Field.ContentLength when !TryParseContentLength(value, ref contentLength):
                    return Framing.Invalid;
                case Field.TransferEncoding:
                    transferEncoding = true;
                    chunked = Ascii.EqualsIgnoreCase(LastToken(value), "chunked"u8); // chunked must be the final coding
                    break;
                case Field.Connection:
                    foreach (Range token in value.Split((byte)','))
                    {
                        ReadOnlySpan<byte> option = Trim(value[token]);
                        close |= Ascii.EqualsIgnoreCase(option, "close"u8);
                        keepAlive |= Ascii.EqualsIgnoreCase(option, "keep-alive"u8);
                    }

                    break;
            }
        }

        if (code < 200)
        {
            if (code == 101)
            {
                Fail("101 Switching Protocols, which no request asked for");
                return Framing.Invalid;
            }

            return Framing.Interim;
        }

        CloseAfter = close || (http10 && !keepAlive);
        if (headRequest || code is 204 or 304)
        {
            return Framing.None;
        }

        if (transferEncoding)
        {
            // RFC 9112 §6.3: Transfer-Encoding overrides Content-Length; a final coding other than chunked runs until close.
            _state = chunked ? State.ChunkSize : State.UntilClose;
            CloseAfter |= !chunked;
            return Framing.Body;
        }

        if (contentLength == 0)
        {
            return Framing.None;
        }

        if (contentLength > 0)
        {
            _state = State.Body;
            _remaining = contentLength;
            return Framing.Body;
        }

        _state = State.UntilClose; // no length: the body ends when the server closes
        CloseAfter = true;
        return Framing.Body;
    }

    private bool TryParseStatusLine(ReadOnlySpan<byte> line, out int code, out bool http10)
    {
        code = 0;
        http10 = false;
        // HTTP/1.x SP 3DIGIT [SP reason]; the reason may be empty, and its space is left out by some servers.
        if (line.Length < 12 || !line.StartsWith("HTTP/1."u8) || line[7] is not ((byte)'0' or (byte)'1') || line[8] != (byte)' ')
        {
            Fail($"status line is not HTTP/1.x: '{ByteText.Quote(line)}'");
            return false;
        }

        if (!char.IsAsciiDigit((char)line[9]) || !char.IsAsciiDigit((char)line[10]) || !char.IsAsciiDigit((char)line[11]) || (line.Length > 12 && line[12] != (byte)' '))
        {
            Fail($"status code is not three digits: '{ByteText.Quote(line)}'");
            return false;
        }

        code = ((line[9] - '0') * 100) + ((line[10] - '0') * 10) + (line[11] - '0');
        if (code is < 100 or > 599)
        {
            Fail($"status code {code} is not 1xx to 5xx");
            return false;
        }

        http10 = line[7] == (byte)'0';
        return true;
    }

    /// <summary>
    /// The next line of a header section (up to its CRLF or bare LF, or the rest when there is none), moving past it.
    /// One search finds both its end and a bare CR or NUL in it, which is an error.
    /// </summary>
    private bool TryTakeLine(ref ReadOnlySpan<byte> rest, string what, out ReadOnlySpan<byte> line)
    {
        int at = rest.IndexOfAny((byte)'\r', (byte)'\n', (byte)0);
        if (at < 0)
        {
            line = rest;
            rest = default;
            return true;
        }

        if (rest[at] == (byte)'\n' || (rest[at] == (byte)'\r' && at + 1 < rest.Length && rest[at + 1] == (byte)'\n'))
        {
            line = rest[..at];
            rest = rest[(at + (rest[at] == (byte)'\n' ? 1 : 2))..];
            return true;
        }

        int end = rest.IndexOf((byte)'\n');
        line = WithoutCr(end < 0 ? rest : rest[..end]);
        return Fail($"bare CR or NUL in {what}: '{ByteText.Quote(line)}'");
    }

    /// <summary>A line that starts with whitespace: an obs-fold, more of the field before it (RFC 9112 §5.2).</summary>
    private static bool IsFolded(ReadOnlySpan<byte> line) => line.Length > 0 && line[0] is (byte)' ' or (byte)'\t';

    /// <summary>A field line without its line break (no CR, LF or NUL in it: see <see cref="TryTakeLine"/>), not folded: token ":" OWS value OWS.</summary>
    private bool TryParseField(ReadOnlySpan<byte> line, out ReadOnlySpan<byte> name, out ReadOnlySpan<byte> value)
    {
        name = value = default;
        int colon = line.IndexOf((byte)':');
        if (colon <= 0 || !HttpToken.IsToken(line[..colon]))
        {
            return Fail($"not a header line (name: value): '{ByteText.Quote(line)}'");
        }

        name = line[..colon];
        value = Trim(line[(colon + 1)..]);
        return true;
    }

    /// <summary>One or more equal decimal values ("42" or "42, 42"), equal to any seen before.</summary>
    private bool TryParseContentLength(ReadOnlySpan<byte> value, ref long contentLength)
    {
        foreach (Range part in value.Split((byte)','))
        {
            ReadOnlySpan<byte> digits = Trim(value[part]);
            if (digits.IsEmpty || digits.ContainsAnyExceptInRange((byte)'0', (byte)'9'))
            {
                return Fail($"Content-Length is not a number: '{ByteText.Quote(value)}'");
            }

            // 1*DIGIT (RFC 9110 §8.6): any number of leading zeros ("0005" is 5); digits alone, so a failure is overflow.
            if (!long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out long parsed))
            {
                return Fail($"Content-Length is over {long.MaxValue}: '{ByteText.Quote(value)}'");
            }

            if (contentLength >= 0 && contentLength != parsed)
            {
                return Fail($"conflicting Content-Length values ({contentLength} and {parsed})");
            }

            contentLength = parsed;
        }

        return true;
    }

    /// <summary>1HEXDIG... [BWS ; chunk-ext]: at most 15 hex digits (so the size fits a long).</summary>
    private bool TryParseChunkSize(ReadOnlySpan<byte> line, out long size)
    {
        size = 0;
        int i = 0;
        while (i < line.Length && char.IsAsciiHexDigit((char)line[i]))
        {
            if (i == 15)
            {
                return Fail($"chunk size of more than 15 hex digits: '{ByteText.Quote(line)}'");
            }

            size = (size << 4) | (long)HexValue(line[i]);
            i++;
        }

        ReadOnlySpan<byte> rest = Trim(line[i..]);
        if (i == 0 || (!rest.IsEmpty && rest[0] != (byte)';') || line.IndexOfAny((byte)'\r', (byte)'\n', (byte)0) >= 0)
        {
            return Fail($"chunk size is not hexadecimal: '{ByteText.Quote(line)}'");
        }

        return true;
    }

    private bool Fail(string error)
    {
        Error = error;
        return false;
    }

    private ReplyStatus FailStatus(string error)
    {
        Error = error;
        return ReplyStatus.Error;
    }

    private void Done()
    {
        _state = State.Head;
        _remaining = 0;
        _scanned = 0;
    }

    private static int HexValue(byte b) => b <= '9' ? b - '0' : (b | 0x20) - 'a' + 10;

    private static ReadOnlySpan<byte> Trim(ReadOnlySpan<byte> text) => text.Trim(" \t"u8);

    private static ReadOnlySpan<byte> LastToken(ReadOnlySpan<byte> value)
    {
        int comma = value.LastIndexOf((byte)',');
        ReadOnlySpan<byte> last = Trim(comma < 0 ? value : value[(comma + 1)..]);
        int parameters = last.IndexOf((byte)';');
        return Trim(parameters < 0 ? last : last[..parameters]);
    }

    /// <summary>A line without the CR of its CRLF (a line that ended in a bare LF has none).</summary>
    private static ReadOnlySpan<byte> WithoutCr(ReadOnlySpan<byte> line) => line.EndsWith((byte)'\r') ? line[..^1] : line;

    /// <summary>The length of the line break <paramref name="bytes"/> start with: 2 for CRLF, 1 for a bare LF, 0 for none, -1 for a CR whose next byte has not come.</summary>
    private static int LineBreakAtStart(in ReadOnlySequence<byte> bytes)
    {
        if (bytes.Length == 0)
        {
            return 0;
        }

        byte first = ByteAt(bytes, 0);
        if (first == (byte)'\n')
        {
            return 1;
        }

        if (first != (byte)'\r')
        {
            return 0;
        }

        return bytes.Length < 2 ? -1 : ByteAt(bytes, 1) == (byte)'\n' ? 2 : 0;
    }

    /// <summary>
    /// Where the header section ends: the index of the LF that ends its empty line, searching LFs from
    /// <paramref name="from"/> and no further than <paramref name="limit"/> bytes; -1 if not there. An empty line is
    /// CRLF or a bare LF after the line break of the last field line. <paramref name="headLength"/>: the bytes before that empty line.
    /// </summary>
    private static long IndexOfHeadEnd(in ReadOnlySequence<byte> bytes, long from, long limit, out long headLength)
    {
        headLength = 0;
        ReadOnlySequence<byte> window = bytes.Length > limit + 4 ? bytes.Slice(0, limit + 4) : bytes;
        while (true)
        {
            long lf = IndexOf(window, Lf, from, limit + 4);
            if (lf < 0)
            {
                return -1;
            }

            // The line this LF ends is empty when the byte before it is the last line's LF, or a CR right after that LF.
            if (lf >= 1 && ByteAt(window, lf - 1) == (byte)'\n')
            {
                headLength = lf;
                return lf;
            }

            if (lf >= 2 && ByteAt(window, lf - 1) == (byte)'\r' && ByteAt(window, lf - 2) == (byte)'\n')
            {
                headLength = lf - 1;
                return lf;
            }

            from = lf + 1;
        }
    }

    private static byte ByteAt(in ReadOnlySequence<byte> bytes, long index) =>
        bytes.IsSingleSegment ? bytes.FirstSpan[(int)index] : bytes.Slice(index, 1).FirstSpan[0];

    /// <summary>Where <paramref name="needle"/> starts in <paramref name="bytes"/>, searching from <paramref name="from"/> and no further than <paramref name="limit"/> bytes; -1 if not there.</summary>
    private static long IndexOf(in ReadOnlySequence<byte> bytes, ReadOnlySpan<byte> needle, long from, long limit)
    {
        ReadOnlySequence<byte> window = bytes.Length > limit + needle.Length ? bytes.Slice(0, limit + needle.Length) : bytes;
        if (from >= window.Length)
        {
            return -1;
        }

        if (window.IsSingleSegment)
        {
            int at = window.FirstSpan[(int)from..].IndexOf(needle);
            return at < 0 ? -1 : from + at;
        }

        var reader = new SequenceReader<byte>(window);
        reader.Advance(from);
        return reader.TryReadTo(out ReadOnlySequence<byte> _, needle, advancePastDelimiter: false) ? reader.Consumed : -1;
    }

    /// <summary>The bytes as one span: the segment itself when they lie in one, else a copy in <paramref name="scratch"/>.</summary>
    private static ReadOnlySpan<byte> Contiguous(in ReadOnlySequence<byte> bytes, ref byte[]? scratch)
    {
        if (bytes.IsSingleSegment)
        {
            return bytes.FirstSpan;
        }

        int length = (int)bytes.Length;
        if (scratch is null || scratch.Length < length)
        {
            scratch = new byte[Math.Max(length, 1024)];
        }

        bytes.CopyTo(scratch);
        return scratch.AsSpan(0, length);
    }
}
