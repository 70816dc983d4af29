using System.Buffers;

namespace Netpoll.Protocols;

/// <summary>
/// Finds where a request head ends (the empty line after the header fields) in input that arrives in
/// pieces, looking at each byte once however the head is split. It also enforces what can be judged
/// before the head is complete, so a client cannot make the server wait for a head that is already
/// wrong: every line ends with CRLF (a bare CR or LF is rejected at once, RFC 9112 §2.2), the request
/// line fits <see cref="HttpServerOptions.MaxRequestLineBytes"/> (414), the head fits
/// <see cref="HttpServerOptions.MaxHeaderBytes"/> and <see cref="HttpServerOptions.MaxHeaderCount"/> (431).
/// Empty lines before the request line are skipped, as RFC 9112 §2.2 asks of servers.
/// </summary>
internal struct HttpHeadScanner
{
    private int _scanned;    // bytes of this head examined so far
    private int _lineStart;  // offset of the current line's first byte
    private int _lines;      // non-empty lines ended so far: the request line, then one per field
    private bool _afterCr;   // the last byte examined was CR, so the next must be LF

    public enum Result
    {
        NeedMore,
        Complete,
        Rejected,
    }

    /// <summary>Forgets the head just finished; the next byte starts a new one.</summary>
    public void Reset() => this = default;

    /// <summary>
    /// Examines the bytes of <paramref name="input"/> not seen yet (input always starts at the head's
    /// first byte). Complete: the head is the first <paramref name="headLength"/> bytes, its final CRLF included.
    /// </summary>
    public Result Scan(in ReadOnlySequence<byte> input, HttpServerOptions options, out int headLength, out HttpRejection rejection)
    {
        headLength = 0;
        rejection = default;
        foreach (ReadOnlyMemory<byte> memory in input.Slice(_scanned))
        {
            ReadOnlySpan<byte> span = memory.Span;
            int i = 0;
            while (i < span.Length)
            {
                if (_afterCr)
                {
                    if (span[i] != (byte)'\n')
                    {
                        rejection = HttpRejection.BadRequest("a CR not followed by LF in the request head");
                        return Result.Rejected;
                    }

                    _afterCr = false;
                    int lf = _scanned + i;
                    int lineLength = lf - 1 - _lineStart;
                    _lineStart = lf + 1;
                    i++;
                    if (lineLength == 0)
                    {
                        if (_lines == 0)
                        {
                            continue; // an empty line before the request line
                        }

                        headLength = lf + 1;
                        if (headLength > options.MaxHeaderBytes)
                        {
                            rejection = new HttpRejection(431, "the request head is larger than MaxHeaderBytes");
                            return Result.Rejected;
                        }

                        return Result.Complete;
                    }

                    _lines++;
                    if (_lines == 1 && lineLength > options.MaxRequestLineBytes)
                    {
                        rejection = new HttpRejection(414, "the request line is longer than MaxRequestLineBytes");
                        return Result.Rejected;
                    }

                    if (_lines - 1 > options.MaxHeaderCount)
                    {
                        rejection = new HttpRejection(431, "the request has more header fields than MaxHeaderCount");
                        return Result.Rejected;
                    }

                    continue;
                }

                int next = span[i..].IndexOfAny((byte)'\r', (byte)'\n');
                if (next < 0)
                {
                    break;
                }

                i += next;
                if (span[i] == (byte)'\n')
                {
                    rejection = HttpRejection.BadRequest("a LF not preceded by CR in the request head");
                    return Result.Rejected;
                }

                _afterCr = true;
                i++;
            }

            _scanned += span.Length;
            if (_scanned > options.MaxHeaderBytes)
            {
                break; // judged below; no need to look at more
            }
        }

        int openLine = _scanned - _lineStart - (_afterCr ? 1 : 0);
        if (_lines == 0 && openLine > options.MaxRequestLineBytes)
        {
            rejection = new HttpRejection(414, "the request line is longer than MaxRequestLineBytes");
            return Result.Rejected;
        }

        if (_scanned > options.MaxHeaderBytes)
        {
            rejection = new HttpRejection(431, "the request head is larger than MaxHeaderBytes");
            return Result.Rejected;
        }

        return Result.NeedMore;
    }
}
