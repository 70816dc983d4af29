using System.Collections;
using System.Globalization;
using System.Management.Automation;
using Netpoll.Protocols;

namespace Netpoll.PowerShell;

/// <summary>
/// Turns what a user writes for a route's answer into an <see cref="HttpResponse"/>: a response
/// hashtable (the keys in <see cref="Keys"/>), a string (200, text), a status code, byte[] or an HttpResponse.
/// A scriptblock's output is read the same way, except that any other object becomes JSON.
/// </summary>
internal static class RouteResponse
{
    /// <summary>The keys a response hashtable may have.</summary>
    public const string Keys = "Status, Reason, ContentType, Headers, Body (a string or byte[]), Json (any object), File (a path), Filler (a byte count), Delay, Jitter (seconds or a TimeSpan), Chunked, ChunkSize, CloseAfter";

    /// <summary>
    /// Normalizes a response hashtable in PowerShell, where ConvertTo-Json lives: a Json key becomes the
    /// JSON text in Body (and application/json). Used for static routes and inside scriptblock runspaces alike.
    /// </summary>
    public const string NormalizeScript = """
        param($Spec)
        if ($Spec -is [System.Collections.IDictionary] -and $Spec.Contains('Json')) {
            $copy = [ordered]@{}
            foreach ($key in $Spec.Keys) { if ($key -ne 'Json') { $copy[$key] = $Spec[$key] } }
            $copy['Body'] = ConvertTo-Json -InputObject $Spec['Json'] -Depth 10 -Compress
            if (-not $copy.Contains('ContentType')) { $copy['ContentType'] = 'application/json' }
            return $copy
        }
        $Spec
        """;

    /// <summary>The keys of a response hashtable; a scriptblock's hashtable with Status and only these is a response, any other is JSON data.</summary>
    public static readonly string[] KnownKeys = ["Status", "Reason", "ContentType", "Headers", "Body", "Json", "File", "Filler", "Delay", "Jitter", "Chunked", "ChunkSize", "CloseAfter"];

    private static readonly HashSet<string> Known = new(KnownKeys, StringComparer.OrdinalIgnoreCase);

    /// <summary>A static route's answer.</summary>
    /// <param name="value">As written (a hashtable already through <see cref="NormalizeScript"/>).</param>
    /// <param name="resolvePath">Turns a PowerShell path into a file system path (for File).</param>
    /// <exception cref="ArgumentException">The value or one of its keys cannot make a response; the message says what can.</exception>
    public static HttpResponse From(object? value, Func<string, string> resolvePath)
    {
        object? bare = value is PSObject pso ? pso.BaseObject : value;
        return bare switch
        {
            HttpResponse response => response,
            string text => HttpResponse.Text(text),
            byte[] bytes => new HttpResponse { Body = HttpBody.FromBytes(bytes) },
            int or long or short => HttpResponse.WithStatus(Convert.ToInt32(bare, CultureInfo.InvariantCulture)),
            IDictionary spec => FromSpec(spec, resolvePath),
            _ => throw new ArgumentException($"A route answers with a response hashtable (keys: {Keys}), a string (200, text/plain), a status code, byte[], an HttpResponse or a scriptblock; got {Describe(bare)}."),
        };
    }

    private static HttpResponse FromSpec(IDictionary spec, Func<string, string> resolvePath)
    {
        string[] unknown = [.. spec.Keys.Cast<object>().Select(k => k.ToString() ?? "").Where(k => !Known.Contains(k))];
        if (unknown.Length > 0)
        {
            throw new ArgumentException($"The response key(s) {string.Join(", ", unknown.Select(k => $"'{k}'"))} are not known; use {Keys}.");
        }

        string[] bodies = [.. new[] { "Body", "File", "Filler" }.Where(spec.Contains)];
        if (bodies.Length > 1)
        {
            throw new ArgumentException($"A response has one body: give only one of Body, Json, File and Filler (got {string.Join(" and ", bodies)}).");
        }

        return new HttpResponse
        {
            Status = Get(spec, "Status", 200, v => Convert.ToInt32(v, CultureInfo.InvariantCulture)),
            Reason = Get<string?>(spec, "Reason", null, v => v.ToString()),
            ContentType = Get<string?>(spec, "ContentType", null, v => v.ToString()),
            Headers = Get<IReadOnlyList<KeyValuePair<string, string>>>(spec, "Headers", [], Headers),
            Body = Body(spec, resolvePath),
            Delay = Get(spec, "Delay", TimeSpan.Zero, Duration),
            Jitter = Get(spec, "Jitter", TimeSpan.Zero, Duration),
            Chunked = Get(spec, "Chunked", false, LanguagePrimitives.IsTrue),
            ChunkSize = Get(spec, "ChunkSize", new HttpResponse().ChunkSize, v => Convert.ToInt32(v, CultureInfo.InvariantCulture)),
            CloseAfter = Get(spec, "CloseAfter", false, LanguagePrimitives.IsTrue),
        };
    }

    private static HttpBody Body(IDictionary spec, Func<string, string> resolvePath)
    {
        if (spec.Contains("File"))
        {
            return HttpBody.FromFile(resolvePath(Unwrap(spec["File"])?.ToString() ?? ""));
        }

        if (spec.Contains("Filler"))
        {
            return HttpBody.Filler(Convert.ToInt64(Unwrap(spec["Filler"]), CultureInfo.InvariantCulture));
        }

        return Unwrap(spec["Body"]) switch
        {
            null => HttpBody.Empty,
            byte[] bytes => HttpBody.FromBytes(bytes),

            // A hashtable or a list would otherwise go out as its type name ("System.Collections.Hashtable").
            IEnumerable and not string and var other => throw new ArgumentException($"Body is text or bytes; got {Describe(other)}. Use Json for an object, Filler for N bytes, File for a file."),
            object text => HttpBody.FromString(text.ToString() ?? ""),
        };
    }

    private static IReadOnlyList<KeyValuePair<string, string>> Headers(object value) => value is IDictionary headers
        ? [.. headers.Keys.Cast<object>().Select(k => new KeyValuePair<string, string>(k.ToString() ?? "", Unwrap(headers[k])?.ToString() ?? ""))]
        : throw new ArgumentException($"Headers is a hashtable of name = value; got {Describe(value)}.");

    private static TimeSpan Duration(object value) => value switch
    {
        TimeSpan span => span,
        string text when TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out TimeSpan parsed) && text.Contains(':', StringComparison.Ordinal) => parsed,
        _ => TimeSpan.FromSeconds(Convert.ToDouble(value, CultureInfo.InvariantCulture)),
    };

    private static T Get<T>(IDictionary spec, string key, T fallback, Func<object, T> convert)
    {
        if (!spec.Contains(key) || Unwrap(spec[key]) is not { } value)
        {
            return fallback;
        }

        try
        {
            return convert(value);
        }
        catch (Exception ex) when (ex is FormatException or InvalidCastException or OverflowException)
        {
            throw new ArgumentException($"The response key '{key}' cannot be '{value}': {ex.Message}", ex);
        }
    }

    private static object? Unwrap(object? value) => value is PSObject pso ? pso.BaseObject : value;

    private static string Describe(object? value) => value is null ? "nothing" : $"a {value.GetType().Name} ('{value}')";
}
