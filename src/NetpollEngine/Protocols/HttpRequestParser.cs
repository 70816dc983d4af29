using System.Globalization;

namespace Netpoll.Protocols;

/// <summary>
/// Parses and validates a complete request head (as delimited by <see cref="HttpHeadScanner"/>) by the
/// RFC 9112 grammar. The checks, in the order they are made (the first failure decides the answer):
/// <list type="number">
/// <item>request-line = method SP request-target SP HTTP-version, single spaces; method a token (400).</item>
/// <item>HTTP-version = "HTTP/" DIGIT "." DIGIT (400); a major version other than 1 gets 505.</item>
/// <item>request-target: origin-form for any method, absolute-form (http/https, no userinfo),
///   authority-form only for CONNECT, asterisk-form only for OPTIONS; only RFC 3986 characters and
///   valid pct-encoding; no fragment (400). The path is normalised for routing (<see cref="HttpPathNormalizer"/>):
///   an encoded NUL, or a ".." above the root (400).</item>
/// <item>each field line: field-name a token directly followed by ':' (so whitespace before the colon
///   and obs-fold are rejected), field-value without CTLs other than HTAB (400).</item>
/// <item>Host: exactly one in HTTP/1.1, at most one in 1.0, with a valid uri-host [":" port] (400).</item>
/// <item>Content-Length: digits only (any number of leading zeros), at most long.MaxValue, every value the same (400). Transfer-Encoding with
///   Content-Length, or in HTTP/1.0 (400, request smuggling); a coding other than chunked (501);
///   chunked not last or twice (400).</item>
/// <item>chunked with parameters (400: chunked defines none, so a front end may frame it differently).</item>
/// <item>Content-Length over <see cref="HttpServerOptions.MaxBodyBytes"/> (413); an Expect other than 100-continue (417).</item>
/// </list>
/// </summary>
internal static class HttpRequestParser
{
    /// <param name="pathScratch">Where a path that needs normalising is normalised when it fits; a longer one gets its own array.</param>
    public static HttpRejection Parse(ReadOnlySpan<byte> head, HttpServerOptions options, Span<byte> pathScratch, out HttpRequestHead request)
    {
        request = default;
        while (head.StartsWith("\r\n"u8))
        {
            head = head[2..]; // empty lines before the request line (the scanner let them through)
        }

        int lineEnd = head.IndexOf("\r\n"u8);
        ReadOnlySpan<byte> line = head[..lineEnd];
        // The fields are everything between the request line and the final empty line.
        request.Fields = head[(lineEnd + 2)..^2];

        HttpRejection rejected = ParseRequestLine(line, pathScratch, ref request);
        if (rejected.IsRejected)
        {
            return rejected;
        }

        return ParseFields(options, ref request);
    }

    private static HttpRejection ParseRequestLine(ReadOnlySpan<byte> line, Span<byte> pathScratch, ref HttpRequestHead request)
    {
        int first = line.IndexOf((byte)' ');
        if (first < 0)
        {
            return HttpRejection.BadRequest("the request line has no spaces");
        }

        ReadOnlySpan<byte> method = line[..first];
        ReadOnlySpan<byte> rest = line[(first + 1)..];
        int second = rest.IndexOf((byte)' ');
        if (second < 0)
        {
            return HttpRejection.BadRequest("the request line has one space, not two");
        }

        ReadOnlySpan<byte> target = rest[..second];
        ReadOnlySpan<byte> version = rest[(second + 1)..];
        if (!HttpSyntax.IsToken(method))
        {
            return HttpRejection.BadRequest("the method is not a token");
        }

        if (version.Length != 8 || !version.StartsWith("HTTP/"u8) || !char.IsAsciiDigit((char)version[5]) || version[6] != (byte)'.' || !char.IsAsciiDigit((char)version[7]))
        {
            return HttpRejection.BadRequest("the HTTP-version is not HTTP/DIGIT.DIGIT");
        }

        if (version[5] != (byte)'1')
        {
            return new HttpRejection(505, "only HTTP/1.x is served");
        }

        request.Method = method;
        request.Target = target;
        request.Http11 = version[7] != (byte)'0';
        return ParseTarget(pathScratch, ref request);
    }

    private static HttpRejection ParseTarget(Span<byte> pathScratch, ref HttpRequestHead request)
    {
        ReadOnlySpan<byte> target = request.Target;
        bool connect = request.Method.SequenceEqual("CONNECT"u8);
        if (target.IsEmpty)
        {
            return HttpRejection.BadRequest("the request-target is empty");
        }

        if (connect)
        {
            // authority-form = uri-host ":" port, and CONNECT takes no other form (RFC 9112 §3.2.3).
            request.Form = HttpTargetForm.Authority;
            request.Path = target;
            return IsAuthority(target, portRequired: true) ? default : HttpRejection.BadRequest("CONNECT needs an authority-form target (host:port)");
        }

        if (target.SequenceEqual("*"u8))
        {
            request.Form = HttpTargetForm.Asterisk;
            request.Path = target;
            return request.Method.SequenceEqual("OPTIONS"u8) ? default : HttpRejection.BadRequest("the asterisk-form target is only for OPTIONS");
        }

        ReadOnlySpan<byte> pathAndQuery;
        if (target[0] == (byte)'/')
        {
            request.Form = HttpTargetForm.Origin;
            pathAndQuery = target;
        }
        else
        {
            // absolute-form: this server is an origin, so only http and https URIs make sense (RFC 9110 §4.2).
            request.Form = HttpTargetForm.Absolute;
            int schemeEnd = target.IndexOf("://"u8);
            if (schemeEnd < 0 || !(HttpSyntax.EqualsLower(target[..schemeEnd], "http"u8) || HttpSyntax.EqualsLower(target[..schemeEnd], "https"u8)))
            {
                return HttpRejection.BadRequest("the request-target is neither origin-form nor an http(s) absolute-form");
            }

            ReadOnlySpan<byte> afterScheme = target[(schemeEnd + 3)..];
            int authorityEnd = afterScheme.IndexOfAny("/?"u8);
            ReadOnlySpan<byte> authority = authorityEnd < 0 ? afterScheme : afterScheme[..authorityEnd];
            if (authority.IsEmpty || authority[0] == (byte)':' || !IsAuthority(authority, portRequired: false))
            {
                return HttpRejection.BadRequest("the absolute-form target has no valid host (userinfo is not allowed)");
            }

            pathAndQuery = authorityEnd < 0 ? "/"u8 : afterScheme[authorityEnd..];
            if (pathAndQuery[0] == (byte)'?')
            {
                // path-abempty may be empty; the query then follows the authority directly.
                request.Path = "/"u8;
                return ParseQuery(pathAndQuery[1..], ref request);
            }
        }

        int question = pathAndQuery.IndexOf((byte)'?');
        ReadOnlySpan<byte> path = question < 0 ? pathAndQuery : pathAndQuery[..question];
        if (path.ContainsAnyExcept(HttpSyntax.PathChar) || !HttpSyntax.PercentEncodingIsValid(path))
        {
            return HttpRejection.BadRequest("the path has a character RFC 3986 does not allow, or a bad %-escape");
        }

        request.Path = path;
        if (HttpPathNormalizer.NeedsWork(path))
        {
            Span<byte> normalised = path.Length <= pathScratch.Length ? pathScratch : new byte[path.Length];
            HttpRejection bad = HttpPathNormalizer.Normalize(path, normalised, out int length);
            if (bad.IsRejected)
            {
                return bad;
            }

            request.Path = normalised[..length];
        }

        return question < 0 ? default : ParseQuery(pathAndQuery[(question + 1)..], ref request);
    }

    private static HttpRejection ParseQuery(ReadOnlySpan<byte> query, ref HttpRequestHead request)
    {
        if (query.ContainsAnyExcept(HttpSyntax.QueryChar) || !HttpSyntax.PercentEncodingIsValid(query))
        {
            return HttpRejection.BadRequest("the query has a character RFC 3986 does not allow (a fragment, a space), or a bad %-escape");
        }

        request.Query = query;
        return default;
    }

    /// <summary>uri-host [":" port] (RFC 3986 §3.2.2-3): an IP-literal in brackets, or a reg-name / IPv4 address.</summary>
    internal static bool IsAuthority(ReadOnlySpan<byte> authority, bool portRequired)
    {
        ReadOnlySpan<byte> host;
        ReadOnlySpan<byte> rest;
        if (!authority.IsEmpty && authority[0] == (byte)'[')
        {
            int close = authority.IndexOf((byte)']');
            if (close < 2 || authority[1..close].ContainsAnyExcept(HttpSyntax.IpLiteralChar))
            {
                return false;
            }

            host = authority[..(close + 1)];
            rest = authority[(close + 1)..];
        }
        else
        {
            int colon = authority.IndexOf((byte)':');
            host = colon < 0 ? authority : authority[..colon];
            rest = colon < 0 ? default : authority[colon..];
            if (host.ContainsAnyExcept(HttpSyntax.RegNameChar) || !HttpSyntax.PercentEncodingIsValid(host))
            {
                return false;
            }
        }

        if (rest.IsEmpty)
        {
            return !portRequired;
        }

        // port = *DIGIT: it may be empty in a URI, but a CONNECT target needs a host and a port.
        ReadOnlySpan<byte> port = rest[1..];
        return rest[0] == (byte)':' && port.Length <= 5 && !port.ContainsAnyExceptInRange((byte)'0', (byte)'9') &&
            (!portRequired || (!port.IsEmpty && !host.IsEmpty));
    }

    private static HttpRejection ParseFields(HttpServerOptions options, ref HttpRequestHead request)
    {
        int hosts = 0;
        bool sawLength = false;
        bool sawCoding = false;
        bool unknownCoding = false;
        bool chunked = false;
        bool chunkedLast = false;
        bool close = false;
        bool expectOther = false;
        long length = 0;
        foreach (HttpFieldLines field in new HttpFieldLines(request.Fields))
        {
            HttpRejection bad = CheckFieldLine(field);
            if (bad.IsRejected)
            {
                return bad;
            }

            ReadOnlySpan<byte> name = field.Name;
            ReadOnlySpan<byte> value = field.Value;
            if (HttpSyntax.EqualsLower(name, "host"u8))
            {
                hosts++;
                if (!IsAuthority(value, portRequired: false))
                {
                    return HttpRejection.BadRequest("the Host value is not uri-host [\":\" port]");
                }
            }
            else if (HttpSyntax.EqualsLower(name, "content-length"u8))
            {
                if (!TryParseLengthList(value, ref length, ref sawLength))
                {
                    return HttpRejection.BadRequest("Content-Length is not digits, or its values differ");
                }
            }
            else if (HttpSyntax.EqualsLower(name, "transfer-encoding"u8))
            {
                HttpRejection coding = ParseCodings(value, ref sawCoding, ref unknownCoding, ref chunked, ref chunkedLast);
                if (coding.IsRejected)
                {
                    return coding;
                }
            }
            else if (HttpSyntax.EqualsLower(name, "connection"u8))
            {
                close |= HttpSyntax.ListContains(value, "close"u8);
                request.KeepAliveRequested |= HttpSyntax.ListContains(value, "keep-alive"u8);
            }
            else if (HttpSyntax.EqualsLower(name, "expect"u8))
            {
                if (HttpSyntax.EqualsLower(value, "100-continue"u8))
                {
                    request.ExpectContinue = true;
                }
                else
                {
                    expectOther = true;
                }
            }
        }

        if (request.Http11 ? hosts != 1 : hosts > 1)
        {
            return HttpRejection.BadRequest(request.Http11 ? "an HTTP/1.1 request needs exactly one Host" : "more than one Host");
        }

        if (sawCoding)
        {
            if (sawLength)
            {
                return HttpRejection.BadRequest("Transfer-Encoding and Content-Length together (request smuggling)");
            }

            if (!request.Http11)
            {
                return HttpRejection.BadRequest("Transfer-Encoding in an HTTP/1.0 request");
            }

            if (unknownCoding)
            {
                return new HttpRejection(501, "a transfer-coding other than chunked");
            }

            if (!chunkedLast)
            {
                return HttpRejection.BadRequest("chunked is not the final transfer-coding");
            }

            request.Framing = HttpBodyFraming.Chunked;
        }
        else if (sawLength && length > 0)
        {
            request.Framing = HttpBodyFraming.ContentLength;
            request.ContentLength = length;
            if (length > options.MaxBodyBytes)
            {
                return new HttpRejection(413, "Content-Length is over MaxBodyBytes");
            }
        }

        if (expectOther)
        {
            return new HttpRejection(417, "an Expect other than 100-continue");
        }

        request.KeepAlive = request.Http11 ? !close : request.KeepAliveRequested && !close;
        request.KeepAliveRequested &= !request.Http11 && request.KeepAlive;
        request.ExpectContinue &= request.Http11 && request.Framing != HttpBodyFraming.None;
        return default;
    }

    /// <summary>field-line = field-name ":" OWS field-value OWS (RFC 9112 §5), for header and trailer fields alike.</summary>
    public static HttpRejection CheckFieldLine(in HttpFieldLines field)
    {
        ReadOnlySpan<byte> line = field.Line;
        if (line.IsEmpty || HttpSyntax.IsOws(line[0]))
        {
            return HttpRejection.BadRequest("obs-fold (a field line starting with whitespace) is not allowed");
        }

        if (line.IndexOf((byte)':') < 0 || !HttpSyntax.IsToken(field.Name))
        {
            return HttpRejection.BadRequest("a field-name is not a token directly followed by ':'");
        }

        return field.Value.ContainsAnyExcept(HttpSyntax.FieldValueChar)
            ? HttpRejection.BadRequest("a field-value has a control character (NUL, CR, LF, DEL, ...)")
            : default;
    }

    /// <summary>Content-Length = 1*DIGIT; a list of identical values (RFC 9110 §8.6) counts as one.</summary>
    private static bool TryParseLengthList(ReadOnlySpan<byte> value, ref long length, ref bool seen)
    {
        bool any = false;
        foreach (Range range in value.Split((byte)','))
        {
            // 1*DIGIT: NumberStyles.None takes digits alone (no sign, no space), any number of leading zeros ("0005" is
            // 5), and refuses a value over long.MaxValue.
            if (!long.TryParse(HttpSyntax.TrimOws(value[range]), NumberStyles.None, CultureInfo.InvariantCulture, out long parsed) ||
                (seen && parsed != length))
            {
                return false;
            }

            length = parsed;
            seen = true;
            any = true;
        }

        return any;
    }

    /// <summary>transfer-coding list: each a token with optional parameters; only chunked is understood.</summary>
    private static HttpRejection ParseCodings(ReadOnlySpan<byte> value, ref bool seen, ref bool unknown, ref bool chunked, ref bool chunkedLast)
    {
        bool any = false;
        foreach (Range range in value.Split((byte)','))
        {
            ReadOnlySpan<byte> element = HttpSyntax.TrimOws(value[range]);
            if (element.IsEmpty)
            {
                continue; // empty list elements are allowed and ignored (RFC 9110 §5.6.1.2)
            }

            int semicolon = element.IndexOf((byte)';');
            ReadOnlySpan<byte> coding = HttpSyntax.TrimOws(semicolon < 0 ? element : element[..semicolon]);
            if (!HttpSyntax.IsToken(coding))
            {
                return HttpRejection.BadRequest("a transfer-coding is not a token");
            }

            any = true;
            if (HttpSyntax.EqualsLower(coding, "chunked"u8))
            {
                if (chunked)
                {
                    return HttpRejection.BadRequest("chunked applied twice");
                }

                if (semicolon >= 0)
                {
                    // chunked defines no parameters; a proxy in front that does not read "chunked;x" as chunked
                    // would frame the body differently (haproxy refuses it too).
                    return HttpRejection.BadRequest("chunked with parameters");
                }

                chunked = true;
                chunkedLast = true;
            }
            else
            {
                unknown = true;
                chunkedLast = false;
            }
        }

        if (!any)
        {
            return HttpRejection.BadRequest("Transfer-Encoding names no coding");
        }

        seen = true;
        return default;
    }
}
