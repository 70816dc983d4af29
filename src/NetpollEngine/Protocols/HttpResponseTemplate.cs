using System.Collections.Concurrent;
using System.Globalization;
using System.Text;

namespace Netpoll.Protocols;

/// <summary>
/// An <see cref="HttpResponse"/> checked and turned into bytes once: the head up to the Date value, the
/// three possible endings (keep-alive, HTTP/1.0 keep-alive, close) and the body. Writing one copies the
/// head, today's date and the ending into one span, then the body (small bodies in the same span, large
/// ones linked); nothing is allocated.
/// </summary>
internal sealed class HttpResponseTemplate
{
    /// <summary>Bodies below this are copied into the head's span; larger ones are linked.</summary>
    private const int InlineBodyLimit = 4096;

    private const int MaxHeadBytes = 32 * 1024;

    private static readonly ConcurrentDictionary<int, HttpResponseTemplate> s_errors = new();
    private static readonly ConcurrentDictionary<HttpRejection, HttpResponseTemplate> s_refusals = new();

    private readonly byte[] _lengthHead;      // status line and fields, framed by Content-Length, through "Date: " when it writes one
    private readonly byte[]? _chunkedHead;    // the same framed by Transfer-Encoding: chunked, when the response is chunked
    private readonly byte[] _keepAliveEnd;
    private readonly byte[] _keepAlive10End;
    private readonly byte[] _closeEnd;
    private readonly bool _writesDate;
    private readonly bool _bodiless;          // 204 and 304 never carry a body, nor a Content-Length
    private readonly HttpBody _body;
    private readonly int _chunkSize;

    private HttpResponseTemplate(HttpResponse response)
    {
        Status = response.Status;
        Delay = response.Delay;
        Jitter = response.Jitter;
        CloseAfter = response.CloseAfter;
        _body = response.Body;
        _chunkSize = response.ChunkSize;
        bool bodiless = Status is 204 or 304;
        _bodiless = bodiless;

        var fields = new StringBuilder();
        bool ownServer = false;
        bool ownContentType = false;
        bool ownDate = false;
        foreach (KeyValuePair<string, string> header in response.Headers)
        {
            string name = header.Key;
            string value = (header.Value ?? throw new ArgumentException($"The response header '{name}' has no value.", nameof(response))).Trim(' ', '\t');
            CheckHeader(name, value);
            ownServer |= name.Equals("Server", StringComparison.OrdinalIgnoreCase);
            ownContentType |= name.Equals("Content-Type", StringComparison.OrdinalIgnoreCase);
            ownDate |= name.Equals("Date", StringComparison.OrdinalIgnoreCase);
            fields.Append(name).Append(": ").Append(value).Append("\r\n");
        }

        string reason = response.Reason ?? HttpReasonPhrases.For(Status);
        CheckText(reason, "Reason");
        var start = new StringBuilder();
        start.Append("HTTP/1.1 ").Append(Status.ToString(CultureInfo.InvariantCulture)).Append(' ').Append(reason).Append("\r\n");
        if (!ownServer)
        {
            start.Append("Server: Netpoll\r\n");
        }

        string? contentType = response.ContentType ?? (_body.Length > 0 ? _body.DefaultContentType : null);
        if (contentType is not null && !ownContentType && !bodiless)
        {
            CheckText(contentType, "ContentType");
            start.Append("Content-Type: ").Append(contentType).Append("\r\n");
        }

        _writesDate = !ownDate;
        string end = _writesDate ? "Date: " : "";
        string length = bodiless ? "" : $"Content-Length: {_body.Length.ToString(CultureInfo.InvariantCulture)}\r\n";
        _lengthHead = Latin1($"{start}{length}{fields}{end}");
        if (response.Chunked)
        {
            _chunkedHead = Latin1($"{start}Transfer-Encoding: chunked\r\n{fields}{end}");
        }

        string afterDate = _writesDate ? "\r\n" : "";
        _keepAliveEnd = Latin1(afterDate + "\r\n");
        _keepAlive10End = Latin1(afterDate + "Connection: keep-alive\r\n\r\n");
        _closeEnd = Latin1(afterDate + "Connection: close\r\n\r\n");
        if (_lengthHead.Length > MaxHeadBytes)
        {
            throw new ArgumentException($"The response head is {_lengthHead.Length} bytes; at most {MaxHeadBytes} are allowed.", nameof(response));
        }
    }

    public int Status { get; }

    public TimeSpan Delay { get; }

    public TimeSpan Jitter { get; }

    public bool CloseAfter { get; }

    public bool HasDelay => Delay > TimeSpan.Zero || Jitter > TimeSpan.Zero;

    /// <summary>Checks <paramref name="response"/> and builds its bytes.</summary>
    /// <exception cref="ArgumentException">Something in it cannot be sent; the message names it and what is allowed.</exception>
    public static HttpResponseTemplate Compile(HttpResponse response)
    {
        ArgumentNullException.ThrowIfNull(response);
        if (response.Status is < 200 or > 599)
        {
            throw new ArgumentOutOfRangeException(nameof(response), response.Status, $"Status must be 200–599 (1xx are not final responses); got {response.Status}.");
        }

        ArgumentNullException.ThrowIfNull(response.Body, "response.Body");
        ArgumentNullException.ThrowIfNull(response.Headers, "response.Headers");
        if (response.Status is 204 or 304 && (response.Body.Length > 0 || response.Chunked))
        {
            throw new ArgumentException($"A {response.Status} response has no body (RFC 9110 §15.3.5, §15.4.5); remove Body and Chunked.", nameof(response));
        }

        if (response.Delay < TimeSpan.Zero || response.Jitter < TimeSpan.Zero || response.Delay > TimeSpan.FromDays(1) || response.Jitter > TimeSpan.FromDays(1))
        {
            throw new ArgumentOutOfRangeException(nameof(response), $"Delay and Jitter must be between zero and one day; got {response.Delay} and {response.Jitter}.");
        }

        if (response.ChunkSize is < 1 or > 1024 * 1024)
        {
            throw new ArgumentOutOfRangeException(nameof(response), response.ChunkSize, "ChunkSize must be between 1 and 1048576 bytes.");
        }

        return new HttpResponseTemplate(response);
    }

    /// <summary>The cached answer to a request refused with <paramref name="status"/>: its reason as text, then close.</summary>
    public static HttpResponseTemplate Error(int status) =>
        s_errors.GetOrAdd(status, static s => Compile(HttpResponse.Text(HttpReasonPhrases.For(s), s, "text/plain")));

    /// <summary>
    /// The cached answer to a request that broke a rule: the reason and the rule as text ("Bad Request: a LF not
    /// preceded by CR in the request head"), so whoever wrote the request by hand learns what to fix.
    /// </summary>
    /// <remarks>The rules are the parser's constant strings, so the cache holds one entry per rule at most.</remarks>
    public static HttpResponseTemplate Refusal(HttpRejection rejection) =>
        s_refusals.GetOrAdd(rejection, static r => Compile(HttpResponse.Text($"{HttpReasonPhrases.For(r.Status)}: {r.Rule}", r.Status, "text/plain")));

    /// <summary>How long to wait before answering: <see cref="Delay"/> moved by up to <see cref="Jitter"/> either way.</summary>
    public TimeSpan NextDelay()
    {
        if (Jitter <= TimeSpan.Zero)
        {
            return Delay;
        }

        double shift = ((Random.Shared.NextDouble() * 2) - 1) * Jitter.TotalMilliseconds;
        return TimeSpan.FromMilliseconds(Math.Max(0, Delay.TotalMilliseconds + shift));
    }

    /// <summary>Writes the response. <paramref name="headOnly"/>: a HEAD request, all fields and no body.</summary>
    public void Write<TOutput>(TOutput output, bool headOnly, bool http11, HttpPersistence persistence)
        where TOutput : IHttpOutput
    {
        bool chunked = _chunkedHead is not null && http11;
        byte[] head = chunked ? _chunkedHead! : _lengthHead;
        byte[] end = persistence switch
        {
            HttpPersistence.Close => _closeEnd,
            HttpPersistence.KeepAlive10 => _keepAlive10End,
            _ => _keepAliveEnd,
        };
        bool body = !_bodiless && !headOnly;
        bool inline = body && !chunked && _body.Length < InlineBodyLimit;
        int size = head.Length + (_writesDate ? HttpDate.Length : 0) + end.Length + (inline ? (int)_body.Length : 0);

        Span<byte> span = output.GetSpan(size);
        head.CopyTo(span);
        int n = head.Length;
        if (_writesDate)
        {
            HttpDate.Current.CopyTo(span[n..]);
            n += HttpDate.Length;
        }

        end.CopyTo(span[n..]);
        n += end.Length;
        if (inline)
        {
            _body.Piece(0, InlineBodyLimit).Span.CopyTo(span[n..]);
        }

        output.Advance(size);
        if (body && !inline)
        {
            if (chunked)
            {
                WriteChunked(output);
            }
            else
            {
                WriteRange(output, 0, _body.Length);
            }
        }
    }

    private void WriteChunked<TOutput>(TOutput output)
        where TOutput : IHttpOutput
    {
        bool first = true;
        for (long offset = 0; offset < _body.Length; offset += _chunkSize)
        {
            int n = (int)Math.Min(_chunkSize, _body.Length - offset);
            Span<byte> span = output.GetSpan(16);
            int written = 0;
            if (!first)
            {
                "\r\n"u8.CopyTo(span); // ends the previous chunk's data
                written = 2;
            }

            n.TryFormat(span[written..], out int digits, "x", CultureInfo.InvariantCulture);
            written += digits;
            "\r\n"u8.CopyTo(span[written..]);
            output.Advance(written + 2);
            WriteRange(output, offset, n);
            first = false;
        }

        ReadOnlySpan<byte> lastChunk = first ? "0\r\n\r\n"u8 : "\r\n0\r\n\r\n"u8;
        lastChunk.CopyTo(output.GetSpan(lastChunk.Length));
        output.Advance(lastChunk.Length);
    }

    private void WriteRange<TOutput>(TOutput output, long offset, long count)
        where TOutput : IHttpOutput
    {
        long end = offset + count;
        while (offset < end)
        {
            ReadOnlyMemory<byte> piece = _body.Piece(offset, (int)Math.Min(end - offset, int.MaxValue));
            output.Link(piece);
            offset += piece.Length;
        }
    }

    private static void CheckHeader(string name, string value)
    {
        if (string.IsNullOrEmpty(name) || !HttpSyntax.IsToken(Encoding.Latin1.GetBytes(name)) || name.Any(c => c > 0x7F))
        {
            throw new ArgumentException($"The response header name '{name}' is not an RFC 9110 token (letters, digits and !#$%&'*+-.^_`|~).", nameof(name));
        }

        if (name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase) || name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase) ||
            name.Equals("Connection", StringComparison.OrdinalIgnoreCase) || name.Equals("Keep-Alive", StringComparison.OrdinalIgnoreCase))
        {
            throw new ArgumentException($"The response header '{name}' is set by the server; use Body, Chunked or CloseAfter instead.", nameof(name));
        }

        CheckText(value, $"the value of header '{name}'");
    }

    private static void CheckText(string text, string what)
    {
        foreach (char c in text)
        {
            if (c > 0xFF || (c < 0x20 && c != '\t') || c == 0x7F)
            {
                throw new ArgumentException($"{what} has the character U+{(int)c:X4}; only tab, space, visible ASCII and Latin-1 (RFC 9110 field-value) are allowed.", nameof(text));
            }
        }
    }

    private static byte[] Latin1(string text) => Encoding.Latin1.GetBytes(text);
}
