using System.Text;

namespace Netpoll.Protocols;

/// <summary>
/// A route's "METHOD /path" pattern. METHOD is a token (case-sensitive, as RFC 9110 methods are) or
/// <c>*</c> for any; without it, any method. The path is matched segment by segment against the
/// request's normalised path (no query; %-decoded and dot-segments resolved, see <see cref="HttpPathNormalizer"/>):
/// a literal segment (normalised the same way, so <c>%41</c> and <c>A</c> are one) matches itself,
/// <c>{name}</c> any one non-empty segment (its value, decoded but for %2F, handed to dynamic routes), <c>*</c>
/// any one non-empty segment, and <c>**</c>, last only, any rest of the path including none.
/// </summary>
/// <remarks>
/// Precedence (<see cref="CompareSpecificity"/>): at the first segment where two patterns differ,
/// literal beats {param} beats * beats **, and a pattern that has ended beats **. Between patterns
/// of the same shape, a named method beats *.
/// </remarks>
internal sealed class HttpRoutePattern
{
    private readonly Segment[] _segments;

    private HttpRoutePattern(string method, string path, Segment[] segments)
    {
        Method = method;
        Path = path;
        _segments = segments;
        MethodBytes = Encoding.ASCII.GetBytes(method);
    }

    private enum Kind
    {
        Literal,
        Parameter,
        Wildcard,
        CatchAll,
    }

    /// <summary>The method, or "*" for any.</summary>
    public string Method { get; }

    public byte[] MethodBytes { get; }

    public string Path { get; }

    public bool AnyMethod => Method == "*";

    public string Text => $"{Method} {Path}";

    public bool HasParameters => _segments.Any(s => s.Kind == Kind.Parameter);

    /// <exception cref="ArgumentException">The pattern is malformed; the message says how and what is allowed.</exception>
    public static HttpRoutePattern Parse(string pattern)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        string text = pattern.Trim();
        int space = text.IndexOf(' ', StringComparison.Ordinal);
        string method = space < 0 ? "*" : text[..space];
        string path = space < 0 ? text : text[(space + 1)..].TrimStart();
        if (method != "*" && !HttpSyntax.IsToken(Encoding.ASCII.GetBytes(method)) || method.Any(c => c > 0x7F))
        {
            throw Bad(pattern, $"the method '{method}' is not a token (e.g. GET, POST) or *");
        }

        if (!path.StartsWith('/'))
        {
            throw Bad(pattern, "the path must start with '/'");
        }

        if (path.Contains('?', StringComparison.Ordinal) || path.Contains('#', StringComparison.Ordinal))
        {
            throw Bad(pattern, "routes match the path only: remove the query or fragment");
        }

        string[] parts = path[1..].Split('/');
        var segments = new Segment[parts.Length];
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < parts.Length; i++)
        {
            string part = parts[i];
            if (part == "**")
            {
                if (i != parts.Length - 1)
                {
                    throw Bad(pattern, "** (the rest of the path) may only be the last segment");
                }

                segments[i] = new Segment(Kind.CatchAll, [], null);
            }
            else if (part == "*")
            {
                segments[i] = new Segment(Kind.Wildcard, [], null);
            }
            else if (part.StartsWith('{') && part.EndsWith('}'))
            {
                string name = part[1..^1];
                if (name.Length == 0 || !(char.IsAsciiLetter(name[0]) || name[0] == '_') || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-'))
                {
                    throw Bad(pattern, $"the parameter '{part}' needs a name of letters, digits, '_' or '-', starting with a letter or '_'");
                }

                if (!names.Add(name))
                {
                    throw Bad(pattern, $"the parameter {{{name}}} appears twice");
                }

                segments[i] = new Segment(Kind.Parameter, [], name);
            }
            else
            {
                byte[] literal = Encoding.UTF8.GetBytes(part);
                if (part.Any(c => c > 0x7F) || literal.AsSpan().ContainsAnyExcept(HttpSyntax.PathChar) || literal.Contains((byte)'/') || !HttpSyntax.PercentEncodingIsValid(literal))
                {
                    throw Bad(pattern, $"the segment '{part}' has a character a URI path cannot hold (use %-escapes), or it mixes {{ }} or * with other text");
                }

                // Requests are matched on their normalised path, so the literal is normalised the same way.
                byte[] normalised = new byte[literal.Length];
                if (HttpPathNormalizer.Decode(literal, normalised, out int length).IsRejected)
                {
                    throw Bad(pattern, $"the segment '{part}' has an encoded NUL (%00), which no request may hold");
                }

                if (HttpPathNormalizer.IsDotSegment(normalised.AsSpan(0, length)))
                {
                    throw Bad(pattern, $"the segment '{part}' is a dot-segment ('.' or '..'), which requests never hold once their path is normalised");
                }

                segments[i] = new Segment(Kind.Literal, normalised[..length], null);
            }
        }

        return new HttpRoutePattern(method, path, segments);
    }

    /// <summary>Same method and same path shape (param names aside): the two would answer the same requests.</summary>
    public bool SameAs(HttpRoutePattern other) => Method == other.Method && SameShape(other);

    /// <summary>Same path shape, param names aside.</summary>
    public bool SameShape(HttpRoutePattern other) => CompareShape(this, other) == 0;

    /// <summary>Orders the more specific pattern first (see the class remarks); equal shapes by method, named before *.</summary>
    public static int CompareSpecificity(HttpRoutePattern a, HttpRoutePattern b)
    {
        int shape = CompareShape(a, b);
        if (shape != 0)
        {
            return shape;
        }

        if (a.AnyMethod != b.AnyMethod)
        {
            return a.AnyMethod ? 1 : -1;
        }

        return string.CompareOrdinal(a.Method, b.Method);
    }

    /// <summary>How well this route's method serves <paramref name="method"/>: 0 exactly, 1 GET for HEAD, 2 any, -1 not at all.</summary>
    public int MethodRank(ReadOnlySpan<byte> method)
    {
        if (method.SequenceEqual(MethodBytes))
        {
            return 0;
        }

        if (method.SequenceEqual("HEAD"u8) && Method == "GET")
        {
            return 1;
        }

        return AnyMethod ? 2 : -1;
    }

    /// <summary>True when the normalised absolute path (it starts with '/') fits the pattern.</summary>
    public bool Matches(ReadOnlySpan<byte> path) => Walk(path, null);

    /// <summary>The {param} values in the normalised <paramref name="path"/> (which must match), with %25 and the other escapes it keeps decoded, and %2F kept (see DecodeValue).</summary>
    public Dictionary<string, string> Capture(ReadOnlySpan<byte> path)
    {
        var values = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        Walk(path, values);
        return values;
    }

    private bool Walk(ReadOnlySpan<byte> path, Dictionary<string, string>? values)
    {
        // The path's segments are what follows each '/'; "/" alone is one empty segment.
        ReadOnlySpan<byte> rest = path.IsEmpty ? default : path[1..];
        bool more = !path.IsEmpty;
        foreach (Segment segment in _segments)
        {
            if (segment.Kind == Kind.CatchAll)
            {
                return true;
            }

            if (!more)
            {
                return false;
            }

            int slash = rest.IndexOf((byte)'/');
            ReadOnlySpan<byte> current = slash < 0 ? rest : rest[..slash];
            more = slash >= 0;
            rest = slash < 0 ? default : rest[(slash + 1)..];
            switch (segment.Kind)
            {
                case Kind.Literal when !current.SequenceEqual(segment.Literal):
                case Kind.Parameter or Kind.Wildcard when current.IsEmpty:
                    return false;
                case Kind.Parameter when values is not null:
                    values[segment.Name!] = DecodeValue(current);
                    break;
            }
        }

        return !more;
    }

    /// <summary>
    /// A parameter's value: the segment decoded, except that an encoded slash stays "%2F" (as Kestrel's route values
    /// keep it) — decoded, "..%2F..%2Fetc" would become a path that climbs, in a value a script may join to a folder.
    /// The normalised path holds the slash's escape in upper case only; escaping its '%' leaves it "%2F" once decoded.
    /// </summary>
    private static string DecodeValue(ReadOnlySpan<byte> segment) =>
        Uri.UnescapeDataString(Encoding.UTF8.GetString(segment).Replace("%2F", "%252F", StringComparison.Ordinal));

    private static int CompareShape(HttpRoutePattern a, HttpRoutePattern b)
    {
        for (int i = 0; ; i++)
        {
            bool aEnded = i >= a._segments.Length;
            bool bEnded = i >= b._segments.Length;
            if (aEnded || bEnded)
            {
                return aEnded == bEnded ? 0 : aEnded ? -1 : 1;
            }

            Segment x = a._segments[i];
            Segment y = b._segments[i];
            if (x.Kind != y.Kind)
            {
                return x.Kind.CompareTo(y.Kind);
            }

            if (x.Kind == Kind.Literal)
            {
                int literal = x.Literal.AsSpan().SequenceCompareTo(y.Literal);
                if (literal != 0)
                {
                    return literal;
                }
            }
        }
    }

    private static ArgumentException Bad(string pattern, string why) =>
        new($"The route '{pattern}' is malformed: {why}. A route is \"METHOD /path\", where a segment is literal text, {{name}}, * (one segment) or ** (the rest, last only).", nameof(pattern));

    private readonly record struct Segment(Kind Kind, byte[] Literal, string? Name);
}
