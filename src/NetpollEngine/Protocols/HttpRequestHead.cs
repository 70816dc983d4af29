namespace Netpoll.Protocols;

/// <summary>
/// What the responder needs from a request's head (request line and headers, without the blank
/// line), parsed strictly: one space between request-line parts, token header names followed
/// directly by a colon, no obsolete line folding, a valid Content-Length, HTTP/1.0 or 1.1.
/// </summary>
internal readonly struct HttpRequestHead
{
    public bool IsGetOrHead { get; init; }

    public bool IsHead { get; init; }

    public HttpTarget Target { get; init; }

    public bool KeepAlive { get; init; }

    public bool Chunked { get; init; }

    public long ContentLength { get; init; }

    public static bool TryParse(ReadOnlySpan<byte> head, out HttpRequestHead request)
    {
        request = default;
        int lineEnd = head.IndexOf("\r\n"u8);
        ReadOnlySpan<byte> requestLine = lineEnd < 0 ? head : head[..lineEnd];
        ReadOnlySpan<byte> headers = lineEnd < 0 ? default : head[(lineEnd + 2)..];

        int firstSpace = requestLine.IndexOf((byte)' ');
        if (firstSpace <= 0)
        {
            return false;
        }

        ReadOnlySpan<byte> method = requestLine[..firstSpace];
        ReadOnlySpan<byte> rest = requestLine[(firstSpace + 1)..];
        int secondSpace = rest.IndexOf((byte)' ');
        if (secondSpace <= 0)
        {
            return false;
        }

        ReadOnlySpan<byte> target = rest[..secondSpace];
        ReadOnlySpan<byte> version = rest[(secondSpace + 1)..];
        if (!IsToken(method) || (target[0] != (byte)'/' && !target.SequenceEqual("*"u8)) || target.IndexOfAny((byte)' ', (byte)'\t') >= 0)
        {
            return false;
        }

        bool http11;
        if (version.SequenceEqual("HTTP/1.1"u8))
        {
            http11 = true;
        }
        else if (version.SequenceEqual("HTTP/1.0"u8))
        {
            http11 = false;
        }
        else
        {
            return false;
        }

        bool keepAlive = http11;
        bool chunked = false;
        long contentLength = 0;
        bool sawLength = false;
        while (!headers.IsEmpty)
        {
            int end = headers.IndexOf("\r\n"u8);
            ReadOnlySpan<byte> line = end < 0 ? headers : headers[..end];
            headers = end < 0 ? default : headers[(end + 2)..];
            int colon = line.IndexOf((byte)':');
            if (colon <= 0 || !IsToken(line[..colon]))
            {
                return false; // also rejects obs-fold lines, which start with whitespace
            }

            ReadOnlySpan<byte> name = line[..colon];
            ReadOnlySpan<byte> value = line[(colon + 1)..].Trim(" \t"u8);
            if (Equals(name, "content-length"u8))
            {
                if (sawLength || !TryParseLength(value, out contentLength))
                {
                    return false;
                }

                sawLength = true;
            }
            else if (Equals(name, "transfer-encoding"u8))
            {
                chunked = true;
            }
            else if (Equals(name, "connection"u8))
            {
                if (Contains(value, "close"u8))
                {
                    keepAlive = false;
                }
                else if (Contains(value, "keep-alive"u8))
                {
                    keepAlive = true;
                }
            }
        }

        bool isHead = method.SequenceEqual("HEAD"u8);
        request = new HttpRequestHead
        {
            IsHead = isHead,
            IsGetOrHead = isHead || method.SequenceEqual("GET"u8),
            Target = PathOf(target) switch
            {
                var p when p.SequenceEqual("/"u8) => HttpTarget.Root,
                var p when p.SequenceEqual("/stats"u8) => HttpTarget.Stats,
                _ => HttpTarget.Other,
            },
            KeepAlive = keepAlive,
            Chunked = chunked,
            ContentLength = contentLength,
        };
        return true;
    }

    private static ReadOnlySpan<byte> PathOf(ReadOnlySpan<byte> target)
    {
        int query = target.IndexOf((byte)'?');
        return query < 0 ? target : target[..query];
    }

    private static bool TryParseLength(ReadOnlySpan<byte> value, out long length)
    {
        length = 0;
        if (value.IsEmpty || value.Length > 18)
        {
            return false;
        }

        foreach (byte b in value)
        {
            if (b < (byte)'0' || b > (byte)'9')
            {
                return false;
            }

            length = (length * 10) + (b - '0');
        }

        return true;
    }

    private static bool Equals(ReadOnlySpan<byte> name, ReadOnlySpan<byte> lowercase)
    {
        if (name.Length != lowercase.Length)
        {
            return false;
        }

        for (int i = 0; i < name.Length; i++)
        {
            if ((name[i] | 0x20) != lowercase[i] && name[i] != lowercase[i])
            {
                return false;
            }
        }

        return true;
    }

    private static bool Contains(ReadOnlySpan<byte> value, ReadOnlySpan<byte> lowercaseWord)
    {
        for (int i = 0; i + lowercaseWord.Length <= value.Length; i++)
        {
            if (Equals(value.Slice(i, lowercaseWord.Length), lowercaseWord))
            {
                return true;
            }
        }

        return false;
    }

    // RFC 9110 token characters.
    private static bool IsToken(ReadOnlySpan<byte> text)
    {
        if (text.IsEmpty)
        {
            return false;
        }

        foreach (byte b in text)
        {
            bool ok = (b >= (byte)'a' && b <= (byte)'z') || (b >= (byte)'A' && b <= (byte)'Z') || (b >= (byte)'0' && b <= (byte)'9') ||
                "!#$%&'*+-.^_`|~"u8.IndexOf(b) >= 0;
            if (!ok)
            {
                return false;
            }
        }

        return true;
    }
}
