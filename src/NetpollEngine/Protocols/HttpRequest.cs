using System.Collections.ObjectModel;
using System.Net;
using System.Text;
using Netpoll.Connections;

namespace Netpoll.Protocols;

/// <summary>
/// A request as a dynamic route's callback sees it: a copy, independent of the connection's buffers, so
/// the callback may keep it and finish on any thread.
/// </summary>
public sealed class HttpRequest
{
    private string? _bodyText;
    private Connection? _connection; // whose closing aborts this request; null for a request made apart from one

    internal HttpRequest(string method, string target, string path, string queryString, Version version)
    {
        Method = method;
        Target = target;
        Path = path;
        QueryString = queryString;
        Version = version;
    }

    public string Method { get; }

    /// <summary>The request-target as sent (path and query, or an absolute URI).</summary>
    public string Target { get; }

    /// <summary>
    /// The path routes matched, without the query: %-decoded and with dot-segments resolved
    /// ("/a/../b%41" is "/bA"), except that %2F, %25 and bytes that are not UTF-8 stay escaped, so
    /// "/a%2Fb" is still one segment. <see cref="Target"/> has the path as sent.
    /// </summary>
    public string Path { get; }

    /// <summary>The query as sent, without the '?'; empty when there is none.</summary>
    public string QueryString { get; }

    /// <summary>The query's parameters, %-decoded; a name given more than once has its values joined with ','.</summary>
    public IReadOnlyDictionary<string, string> Query { get; internal init; } = new Dictionary<string, string>();

    /// <summary>The route's {param} values, %-decoded.</summary>
    public IReadOnlyDictionary<string, string> RouteValues { get; internal init; } = ReadOnlyDictionary<string, string>.Empty;

    /// <summary>Header fields by name (case-insensitive); a field sent more than once has its values joined with ", ".</summary>
    public IReadOnlyDictionary<string, string> Headers { get; internal init; } = ReadOnlyDictionary<string, string>.Empty;

    /// <summary>Trailer fields of a chunked body, the same shape as <see cref="Headers"/>: by name (case-insensitive), a field sent more than once joined with ", "; empty when there were none.</summary>
    public IReadOnlyDictionary<string, string> Trailers { get; internal set; } = ReadOnlyDictionary<string, string>.Empty;

    public Version Version { get; }

    /// <summary>The body (Content-Length or chunked, decoded); empty when there was none.</summary>
    public ReadOnlyMemory<byte> Body { get; internal set; }

    /// <summary>The body as UTF-8 text.</summary>
    public string BodyText => _bodyText ??= Encoding.UTF8.GetString(Body.Span);

    public EndPoint? RemoteEndPoint { get; internal init; }

    /// <summary>
    /// True once the client's connection has closed (it reset, or the server closed it): nobody will read the
    /// answer, so a callback may skip work it has not begun. A client that only half-closed (sent its FIN and
    /// waits for the answer) has not aborted.
    /// </summary>
    public bool IsAborted => _connection is { IsActive: false };

    public override string ToString() => $"{Method} {Target}";

    /// <summary>Copies the parts of a parsed head a callback may see.</summary>
    /// <remarks>The body and trailers are set when the body has been read.</remarks>
    internal static HttpRequest From(in HttpRequestHead head, HttpRoutePattern? pattern, Connection? connection)
    {
        Dictionary<string, string> headers = HttpFieldDictionary.Create();
        foreach (HttpFieldLines field in new HttpFieldLines(head.Fields))
        {
            HttpFieldDictionary.Add(headers, field.Name, field.Value);
        }

        string queryString = Encoding.ASCII.GetString(head.Query);
        return new HttpRequest(
            Encoding.ASCII.GetString(head.Method),
            Encoding.ASCII.GetString(head.Target),
            Encoding.UTF8.GetString(head.Path), // normalised: decoded bytes are UTF-8 (others stay escaped)
            queryString,
            head.Http11 ? HttpVersion.Version11 : HttpVersion.Version10)
        {
            Headers = headers,
            Query = ParseQuery(queryString),
            RouteValues = pattern is { HasParameters: true } ? pattern.Capture(head.Path) : ReadOnlyDictionary<string, string>.Empty,
            RemoteEndPoint = connection?.RemoteEndPoint,
            _connection = connection,
        };
    }

    private static Dictionary<string, string> ParseQuery(string query)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string pair in query.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            int equals = pair.IndexOf('=', StringComparison.Ordinal);
            string name = Decode(equals < 0 ? pair : pair[..equals]);
            string value = equals < 0 ? "" : Decode(pair[(equals + 1)..]);
            values[name] = values.TryGetValue(name, out string? earlier) ? $"{earlier},{value}" : value;
        }

        return values;
    }

    // Form-style queries write spaces as '+'.
    private static string Decode(string text) => Uri.UnescapeDataString(text.Replace('+', ' '));
}
