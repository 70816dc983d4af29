using System.Text;

namespace Netpoll.Protocols;

/// <summary>
/// Header or trailer fields as a callback sees them, both the same way: by name, case-insensitive
/// (RFC 9110 §5.1), a field sent more than once having its values joined with ", " in the order they
/// came (§5.3). Names are tokens (ASCII); values are read as Latin-1, so obs-text bytes survive.
/// </summary>
internal static class HttpFieldDictionary
{
    public static Dictionary<string, string> Create() => new(StringComparer.OrdinalIgnoreCase);

    public static void Add(Dictionary<string, string> fields, ReadOnlySpan<byte> name, ReadOnlySpan<byte> value)
    {
        string key = Encoding.ASCII.GetString(name);
        string text = Encoding.Latin1.GetString(value);
        fields[key] = fields.TryGetValue(key, out string? earlier) ? $"{earlier}, {text}" : text;
    }
}
