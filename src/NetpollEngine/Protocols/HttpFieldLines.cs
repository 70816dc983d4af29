namespace Netpoll.Protocols;

/// <summary>
/// Walks field lines ("name: value" CRLF ...) that <see cref="HttpRequestParser"/> already validated,
/// yielding each name and its OWS-trimmed value without allocating.
/// </summary>
internal ref struct HttpFieldLines(ReadOnlySpan<byte> fields)
{
    private ReadOnlySpan<byte> _rest = fields;

    public ReadOnlySpan<byte> Name { get; private set; }

    public ReadOnlySpan<byte> Value { get; private set; }

    /// <summary>The whole line without its CRLF.</summary>
    public ReadOnlySpan<byte> Line { get; private set; }

    public readonly HttpFieldLines GetEnumerator() => this;

    public readonly HttpFieldLines Current => this;

    public bool MoveNext()
    {
        if (_rest.IsEmpty)
        {
            return false;
        }

        int end = _rest.IndexOf("\r\n"u8);
        Line = end < 0 ? _rest : _rest[..end];
        _rest = end < 0 ? default : _rest[(end + 2)..];
        int colon = Line.IndexOf((byte)':');
        Name = colon < 0 ? Line : Line[..colon];
        Value = colon < 0 ? default : HttpSyntax.TrimOws(Line[(colon + 1)..]);
        return true;
    }
}
