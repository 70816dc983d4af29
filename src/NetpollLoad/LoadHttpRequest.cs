using System.Text;

namespace Netpoll.Load;

/// <summary>
/// One HTTP/1.1 request a load test sends: method, absolute http or https URI (its path and query are the request
/// target, its host and port the Host header), headers, body, and a weight (how often it is sent relative
/// to the others). The bytes are built once, before the run, so sending one allocates nothing.
/// </summary>
public sealed record LoadHttpRequest
{
    /// <summary>Largest body a request may carry.</summary>
    public const int MaxBodyBytes = 64 * 1024 * 1024;

    /// <summary>Largest weight; weights are relative, so small numbers say the same.</summary>
    public const int MaxWeight = 1_000_000;

    public string Method { get; init; } = "GET";

    public required Uri Uri { get; init; }

    /// <summary>Header fields in the order sent. Host replaces the one taken from <see cref="Uri"/>; Content-Length is set from the body.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Headers { get; init; } = [];

    public ReadOnlyMemory<byte> Body { get; init; }

    /// <summary>How often this request is sent relative to the others of the run (1 to <see cref="MaxWeight"/>).</summary>
    public int Weight { get; init; } = 1;

    /// <summary>The origin the request goes to (http://host:port or https://host:port), which every request of a run shares.</summary>
    public string Origin => Uri.GetComponents(UriComponents.SchemeAndServer, UriFormat.UriEscaped);

    internal bool IsHead => Method == "HEAD";

    /// <summary>
    /// RFC 9110 §9.2.2's idempotent methods (GET, HEAD, OPTIONS, TRACE, PUT, DELETE): sending one twice has the effect of
    /// sending it once, so a request a keep-alive close raced may be retried (RFC 9112 §9.3.1). POST, PATCH and any
    /// other method are never sent twice.
    /// </summary>
    internal bool IsIdempotent => Method is "GET" or "HEAD" or "OPTIONS" or "TRACE" or "PUT" or "DELETE";

    /// <summary>Throws ArgumentException naming what is wrong and what is allowed.</summary>
    public void Validate()
    {
        ValidateMethod(Method);
        ValidateUri(Uri);
        ArgumentNullException.ThrowIfNull(Headers);
        foreach ((string name, string value) in Headers)
        {
            ValidateHeader(name, value);
        }

        if (Body.Length > MaxBodyBytes)
        {
            throw new ArgumentException($"The body is {Body.Length} bytes; at most {MaxBodyBytes} are sent.", nameof(Body));
        }

        if (Weight is < 1 or > MaxWeight)
        {
            throw new ArgumentOutOfRangeException(nameof(Weight), Weight, $"Weight must be between 1 and {MaxWeight:N0}.");
        }
    }

    /// <summary>A method is an RFC 9110 token: GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS, or an extension.</summary>
    public static void ValidateMethod(string method)
    {
        if (!HttpToken.IsToken(method))
        {
            throw new ArgumentException($"'{method}' is not an HTTP method: a method is one or more letters, digits or !#$%&'*+-.^_`|~ (GET, POST, PUT, ...).", nameof(method));
        }
    }

    /// <summary>An absolute http:// or https:// URI with a host (https dials over TLS: <see cref="LoadOptions.Tls"/>).</summary>
    public static void ValidateUri(Uri uri)
    {
        ArgumentNullException.ThrowIfNull(uri);
        if (!uri.IsAbsoluteUri)
        {
            throw new ArgumentException($"'{uri}' is not an absolute URI: give http://host:port/path.", nameof(uri));
        }

        if (uri.Scheme is not ("http" or "https") || uri.Host.Length == 0)
        {
            throw new ArgumentException($"'{uri}' is not an http:// or https:// URI with a host.", nameof(uri));
        }
    }

    /// <summary>A header the generator can send: a token name, a value without CR, LF or NUL, and not one the body sets.</summary>
    public static void ValidateHeader(string name, string? value)
    {
        if (!HttpToken.IsToken(name))
        {
            throw new ArgumentException($"'{name}' is not a header name: a name is one or more letters, digits or !#$%&'*+-.^_`|~.", nameof(name));
        }

        if (value is null || value.AsSpan().IndexOfAny('\r', '\n', '\0') >= 0)
        {
            throw new ArgumentException($"The value of header '{name}' is missing or holds CR, LF or NUL, which would end the header early.", nameof(value));
        }

        if (name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase) || name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase))
        {
            throw new ArgumentException($"Header '{name}' is set from the body (Content-Length); leave it out.", nameof(name));
        }
    }

    /// <summary>The request on the wire: request line, Host, the headers, Content-Length when there is a body (or the method carries one), the body.</summary>
    internal byte[] ToBytes()
    {
        var text = new StringBuilder();
        text.Append(Method).Append(' ').Append(Uri.GetComponents(UriComponents.PathAndQuery, UriFormat.UriEscaped)).Append(" HTTP/1.1\r\n");
        if (!Headers.Any(h => h.Key.Equals("Host", StringComparison.OrdinalIgnoreCase)))
        {
            text.Append("Host: ").Append(Uri.GetComponents(UriComponents.Host | UriComponents.Port, UriFormat.UriEscaped)).Append("\r\n");
        }

        foreach ((string name, string value) in Headers)
        {
            text.Append(name).Append(": ").Append(value.Trim(' ', '\t')).Append("\r\n");
        }

        if (Body.Length > 0 || Method is "POST" or "PUT" or "PATCH")
        {
            text.Append("Content-Length: ").Append(Body.Length).Append("\r\n");
        }

        text.Append("\r\n");
        byte[] head = Encoding.UTF8.GetBytes(text.ToString());
        return [.. head, .. Body.Span];
    }

    public override string ToString() => $"{Method} {Uri}";
}
