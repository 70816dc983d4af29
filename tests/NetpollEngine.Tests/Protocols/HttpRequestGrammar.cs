using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using CsCheck;

namespace Netpoll.Tests.Protocols;

/// <summary>
/// CsCheck generators for HTTP/1.1 requests built from the RFC 9112 grammar (request-line, field
/// lines with OWS, Content-Length and chunked bodies with extensions and trailers), and single-rule
/// mutations of them, each knowing the status the server must answer. The routes are
/// <see cref="HttpTestRoutes.Create"/>'s; the limits <see cref="HttpTestRoutes.SmallLimits"/>.
/// </summary>
internal static class HttpRequestGrammar
{
    private const string Alpha = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    private const string Digit = "0123456789";
    private const string TChar = "!#$%&'*+-.^_`|~" + Alpha + Digit;
    private const string PChar = Alpha + Digit + "-._~!$&'()*+,;=:@";
    private const string QChar = PChar + "/?";
    private const string HexDigits = "0123456789abcdefABCDEF";

    /// <summary>Field names the generator leaves to the framing and Host logic.</summary>
    private static readonly HashSet<string> Reserved = new(StringComparer.OrdinalIgnoreCase) { "host", "content-length", "transfer-encoding", "connection", "expect" };

    private static readonly Gen<string> Ows = Gen.OneOf("", " ", "\t", "  ", " \t ");

    private static readonly Gen<string> FieldName = Text(TChar, 1, 16).Where(n => !Reserved.Contains(n));

    // field-value: VCHAR / obs-text, with SP and HTAB inside but not at either end.
    private static readonly Gen<string> FieldValue = Gen.Char[FieldValueChars()].Array[0, 30]
        .Select(chars => new string(chars).Trim(' ', '\t'));

    private static readonly Gen<string> Field = Gen.Select(FieldName, Ows, FieldValue, Ows, (name, before, value, after) => $"{name}:{before}{value}{after}");

    // A segment that stays itself once normalised: no encoded NUL and no dot-segment ("." or "..", however escaped);
    // those are the breaking rules' (a path above the root, an encoded NUL).
    private static readonly Gen<string> PathSegment = Gen.OneOf(
            Text(PChar, 1, 1),
            Gen.Char[HexDigits].Array[2].Select(h => "%" + new string(h)))
        .Array[1, 8].Select(string.Concat)
        .Where(s => !s.Contains("%00", StringComparison.Ordinal) && Uri.UnescapeDataString(s) is not ("." or ".."));

    private static readonly Gen<string> Path = Gen.Frequency(
        (2, Gen.Const("/")),
        (2, Gen.Const("/echo")),
        (3, PathSegment.Select(s => "/any/" + s)),
        (2, PathSegment.Array[1, 4].Select(s => "/r/" + string.Join('/', s))));

    private static readonly Gen<string> Query = Gen.Frequency((3, Gen.Const("")), (1, Text(QChar, 0, 20).Select(q => "?" + q)));

    private static readonly Gen<string> Method = Gen.Frequency(
        (6, Gen.OneOf("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS")),
        (1, Text(TChar, 1, 8).Where(m => m != "CONNECT")));

    private static readonly Gen<string> ChunkExtension = Gen.Frequency(
        (3, Gen.Const("")),
        (1, Gen.Select(Ows, Text(TChar, 1, 6), Gen.Frequency((1, Gen.Const("")), (1, Text(TChar, 1, 6).Select(v => "=" + v)), (1, Text(Alpha + " ,;", 0, 8).Select(v => $"=\"{v}\""))),
            (ows, name, value) => $"{ows};{name}{value}")));

    /// <summary>One valid request; <paramref name="last"/>: it may close the connection.</summary>
    public static Gen<RequestModel> Valid(bool last) =>
        from method in Method
        from form in Gen.Frequency((8, Gen.Const("origin")), (1, Gen.Const("absolute")), (1, Gen.Const("asterisk")))
        from path in Path
        from query in Query
        from http11 in Gen.Frequency((4, Gen.Const(true)), (1, Gen.Const(false)))
        from fields in Field.List[0, 5]
        from hostCase in Gen.OneOf("Host", "host", "HOST")
        from hostAt in Gen.Int[0, 5]
        from framing in Gen.Frequency((3, Gen.Const("none")), (2, Gen.Const("length")), (2, Gen.Const("chunked")))
        from body in Gen.Byte.Array[0, 300]
        from chunkSizes in Gen.Int[1, 120].Array[1, 8]
        from chunkUpper in Gen.Bool
        from zeros in Gen.Int[0, 2]
        from extensions in ChunkExtension.Array[9]
        from trailers in Field.Array[0, 2]
        from expect in Gen.Frequency((5, Gen.Const(false)), (1, Gen.Const(true)))
        from close in Gen.Frequency((3, Gen.Const(false)), (1, Gen.Const(last)))
        from leading in Gen.Frequency((6, Gen.Const(0)), (1, Gen.Int[1, 2]))
        select Build(method, form, path + query, http11, fields, hostCase, hostAt, http11 ? framing : framing == "chunked" ? "length" : framing,
            body, chunkSizes, chunkUpper, zeros, extensions, trailers, expect && http11, close, leading);

    /// <summary>A valid request broken by exactly one rule, with the status that rule calls for.</summary>
    public static Gen<RequestModel> Invalid =>
        from request in Valid(last: true)
        from rule in Gen.Int[0, Mutations.Length - 1]
        from salt in Gen.Int[0, 1_000_000]
        select Mutations[rule](request.Clone(), salt);

    /// <summary>Input cut into pieces at these offsets (ascending, within the input).</summary>
    public static Gen<int[]> Cuts(int length) => Gen.Int[1, Math.Max(1, length - 1)].Array[0, 12].Select(c => c.Order().ToArray());

    private static readonly Func<RequestModel, int, RequestModel>[] Mutations =
    [
        (r, s) => r.WithField($"X-Bad: a{(char)CtlOtherThanTab(s)}b", 400, "a CTL in a field value"),
        (r, s) => r.WithField("X-Bad: a\nb", 400, "a bare LF in a field value"),
        (r, s) => r.WithField("X-Bad: a\rb", 400, "a bare CR in a field value"),
        (r, s) => r.WithField("X-Bad" + " \t"[s % 2] + ": v", 400, "whitespace before the colon"),
        (r, s) => r.WithField("X-Bad: a\r\n" + " \t"[s % 2] + "folded", 400, "obs-fold"),
        (r, s) => r.WithField("X" + Pick("()<>@,;\\\"/[]?={} \u00e9", s) + "Bad: v", 400, "a field name that is not a token"),
        (r, s) => r.WithField(": v", 400, "an empty field name"),
        (r, s) => r.AsHttp11().Without("host").Expect(400, "HTTP/1.1 without Host"),
        (r, s) => r.AsHttp11().WithField("Host: other", 400, "two Host fields"),
        (r, s) => r.WithoutBody().WithField("Content-Length: " + new[] { "1x", "-1", "+1", "", "0x10", "1 2", "1,2" }[s % 7], 400, "a Content-Length that is not digits"),
        (r, s) => r.WithoutBody().WithField("Content-Length: 1").WithField("Content-Length: 2", 400, "two different Content-Length values"),
        (r, s) => r.AsHttp11().WithoutBody().WithField("Transfer-Encoding: chunked").WithField("Content-Length: 0", 400, "Transfer-Encoding with Content-Length"),
        (r, s) => r.AsHttp11().WithoutBody().WithField("Transfer-Encoding: " + new[] { "gzip, chunked", "deflate", "chunked, br", "x-custom;q=1, chunked" }[s % 4], 501, "an unknown transfer-coding"),
        (r, s) => r.AsHttp10().WithoutBody().WithField("Transfer-Encoding: chunked", 400, "Transfer-Encoding in HTTP/1.0"),
        (r, s) => r.With(method: r.Method[..(s % r.Method.Length)] + Pick("()<>@,;\\\"/[]?={}\t\u00e9", s) + r.Method[(s % r.Method.Length)..]).Expect(400, "a method that is not a token"),
        (r, s) => r.WithPathChar(Pick("#<>\"{}|\\^`\u0080 \t\0", s)).Expect(400, "a character RFC 3986 does not allow in the target"),
        (r, s) => r.WithPathChar('%').Expect(400, "a % that starts no %-escape"),
        (r, s) => r.With(target: new[] { "/..", "/r/../..", "/%2e%2E/x", "/any/.%2e/..", "http://example.com/a/%2E./.." }[s % 5]).Expect(400, "a path that climbs above the root"),
        (r, s) => r.With(target: new[] { "/any/%00", "/r/a%00b/x", "/%00/.." }[s % 3]).Expect(400, "an encoded NUL in the path"),
        (r, s) => r.With(version: new[] { "HTTP/1.1 ", "HTTP/1", "http/1.1", "HTTP/1.10", "HTTP/1.x", "HTTP/ 1.1", "HTTPS/1.1" }[s % 7]).Expect(400, "a malformed HTTP-version"),
        (r, s) => r.With(version: new[] { "HTTP/2.0", "HTTP/0.9", "HTTP/3.1" }[s % 3]).Expect(505, "a major version other than 1"),
        (r, s) => r.With(requestLineSeparator: new[] { "  ", "\t", "" }[s % 3]).Expect(400, "the request line's separators"),
        (r, s) => r.With(target: "*", method: r.Method == "OPTIONS" ? "GET" : r.Method).Expect(400, "asterisk-form other than for OPTIONS"),
        (r, s) => r.With(target: "example.com:80", method: r.Method == "CONNECT" ? "GET" : r.Method).Expect(400, "authority-form other than for CONNECT"),
        (r, s) => r.WithoutBody().WithField("Content-Length: " + (4097 + s).ToString(CultureInfo.InvariantCulture), 413, "Content-Length over MaxBodyBytes"),
        (r, s) => r.With(target: "/" + new string('a', 520 + (s % 2000))).Expect(414, "a request line over MaxRequestLineBytes"),
        (r, s) => Enumerable.Range(0, 21).Aggregate(r, (m, i) => m.WithField($"X-Many-{i}: v")).Expect(431, "more fields than MaxHeaderCount"),
        (r, s) => r.WithField("X-Big: " + new string('v', 2100), 431, "a head over MaxHeaderBytes"),
        (r, s) => r.WithField("Expect: " + new[] { "200-ok", "100-continue-please", "x" }[s % 3], 417, "an expectation other than 100-continue"),
        (r, s) => r.WithChunkedBody(new[] { "zz\r\n", "-1\r\n", " 5\r\n", "\r\n", "5\n", "5 \r\nhello\r\n" }[s % 6], 400, "a chunk-size line off the grammar"),
        (r, s) => r.WithChunkedBody(new[] { "5;\r\nhello\r\n", "5; =x\r\nhello\r\n", "5;a=\r\nhello\r\n", "5;a=\"b\r\nhello\r\n", "5;a=b c\r\nhello\r\n" }[s % 5], 400, "a chunk extension off the grammar"),
        (r, s) => r.WithChunkedBody("5\r\nhelloXY", 400, "chunk data not followed by CRLF"),
        (r, s) => r.WithChunkedBody("800\r\n" + new string('x', 2048) + "\r\n801\r\n", 413, "chunks adding up to more than MaxBodyBytes"),
        (r, s) => r.WithChunkedBody("0\r\nX-T: a\u0001b\r\n\r\n", 400, "a CTL in a trailer field"),
    ];

    private static RequestModel Build(string method, string form, string pathAndQuery, bool http11, List<string> fields, string hostCase, int hostAt,
        string framing, byte[] body, int[] chunkSizes, bool chunkUpper, int zeros, string[] extensions, string[] trailers, bool expect, bool close, int leading)
    {
        string target = form switch
        {
            "asterisk" when method == "OPTIONS" => "*",
            "absolute" => "http://example.com" + pathAndQuery,
            _ => pathAndQuery,
        };

        var lines = new List<string>(fields);
        if (http11 || hostAt % 2 == 0)
        {
            lines.Insert(Math.Min(hostAt, lines.Count), $"{hostCase}: example.com");
        }

        byte[] wire = [];
        byte[] plain = framing == "none" ? [] : body;
        if (framing == "length")
        {
            lines.Add("Content-Length: " + body.Length.ToString(CultureInfo.InvariantCulture));
            wire = body;
        }
        else if (framing == "chunked")
        {
            lines.Add("Transfer-Encoding: chunked");
            wire = Chunked(body, chunkSizes, chunkUpper, zeros, extensions, trailers);
        }

        if (expect && framing != "none")
        {
            lines.Add("Expect: 100-continue");
        }

        if (close)
        {
            lines.Add(http11 ? "Connection: close" : "Connection: close");
        }
        else if (!http11)
        {
            lines.Add("Connection: keep-alive");
        }

        var model = new RequestModel
        {
            Method = method,
            Target = target,
            Version = http11 ? "HTTP/1.1" : "HTTP/1.0",
            Fields = lines,
            BodyWire = wire,
            Leading = leading,
            Closes = close,
            HeadOnly = method == "HEAD",
        };
        (model.Status, model.ResponseBody) = Expected(method, target, plain);
        if (model.HeadOnly && model.ResponseBody is not null)
        {
            model.ResponseBody = []; // HEAD: the same fields, no body
        }

        return model;
    }

    /// <summary>What the test routes answer: GET / → hello, POST /echo → the body, * /any/{id} → the id.</summary>
    private static (int Status, byte[]? Body) Expected(string method, string target, byte[] body)
    {
        if (target == "*")
        {
            return (200, []);
        }

        string path = target.StartsWith("http://", StringComparison.Ordinal) ? target[(target.IndexOf('/', 7) is var slash and >= 0 ? slash : target.Length)..] : target;
        path = path.Split('?')[0];
        if (path.Length == 0)
        {
            path = "/";
        }

        if (path == "/")
        {
            return method is "GET" or "HEAD" ? (200, "Hello, World!"u8.ToArray()) : (405, null);
        }

        if (path == "/echo")
        {
            return method == "POST" ? (200, body) : (405, null);
        }

        if (path.StartsWith("/any/", StringComparison.Ordinal) && !path[5..].Contains('/', StringComparison.Ordinal) && path.Length > 5)
        {
            // The escapes that cannot be decoded (bytes that are not UTF-8) come back normalised: upper-case hex.
            string normalised = Regex.Replace(path[5..], "%[0-9a-fA-F]{2}", m => m.Value.ToUpperInvariant());
            return (200, Encoding.UTF8.GetBytes(Uri.UnescapeDataString(normalised)));
        }

        return (404, null);
    }

    private static byte[] Chunked(byte[] body, int[] sizes, bool upper, int zeros, string[] extensions, string[] trailers)
    {
        var wire = new List<byte>();
        int at = 0;
        int i = 0;
        while (at < body.Length)
        {
            int n = Math.Min(sizes[i % sizes.Length], body.Length - at);
            wire.AddRange(Encoding.ASCII.GetBytes(new string('0', zeros) + n.ToString(upper ? "X" : "x", CultureInfo.InvariantCulture) + extensions[i % extensions.Length] + "\r\n"));
            wire.AddRange(body.AsSpan(at, n).ToArray());
            wire.AddRange("\r\n"u8.ToArray());
            at += n;
            i++;
        }

        wire.AddRange(Encoding.Latin1.GetBytes(new string('0', zeros + 1) + extensions[^1] + "\r\n" + string.Concat(trailers.Select(t => t + "\r\n")) + "\r\n"));
        return [.. wire];
    }

    private static char Pick(string chars, int salt) => chars[salt % chars.Length];

    private static int CtlOtherThanTab(int salt)
    {
        int[] ctls = [.. Enumerable.Range(0, 32).Where(c => c is not '\t' and not '\r' and not '\n'), 0x7F];
        return ctls[salt % ctls.Length];
    }

    private static string FieldValueChars()
    {
        var chars = new StringBuilder(" \t");
        for (int c = 0x21; c <= 0xFF; c++)
        {
            if (c != 0x7F)
            {
                chars.Append((char)c);
            }
        }

        return chars.ToString();
    }

    private static Gen<string> Text(string chars, int min, int max) => Gen.Char[chars].Array[min, max].Select(c => new string(c));
}
