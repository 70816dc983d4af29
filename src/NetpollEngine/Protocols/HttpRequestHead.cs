namespace Netpoll.Protocols;

/// <summary>
/// A request head that passed <see cref="HttpRequestParser"/>: views into the head's bytes, valid while
/// those bytes are (until the handler call that parsed them returns).
/// </summary>
internal ref struct HttpRequestHead
{
    public ReadOnlySpan<byte> Method;

    /// <summary>The request-target as sent.</summary>
    public ReadOnlySpan<byte> Target;

    /// <summary>What routes match: the normalised absolute path (origin- or absolute-form; see <see cref="HttpPathNormalizer"/>), "*" (asterisk-form) or the authority (CONNECT).</summary>
    public ReadOnlySpan<byte> Path;

    /// <summary>The query without its '?'; empty when there is none.</summary>
    public ReadOnlySpan<byte> Query;

    /// <summary>The header field lines, each ending with CRLF (see <see cref="HttpFieldLines"/>).</summary>
    public ReadOnlySpan<byte> Fields;

    public HttpTargetForm Form;

    /// <summary>True for HTTP/1.1 (and 1.x above it, answered as 1.1); false for HTTP/1.0.</summary>
    public bool Http11;

    /// <summary>The connection stays open after the response (RFC 9112 §9.3).</summary>
    public bool KeepAlive;

    /// <summary>An HTTP/1.0 client asked for keep-alive, so the response says it will.</summary>
    public bool KeepAliveRequested;

    public HttpBodyFraming Framing;

    public long ContentLength;

    /// <summary>The client waits for "100 Continue" before sending its body.</summary>
    public bool ExpectContinue;

    public readonly bool IsHead => Method.SequenceEqual("HEAD"u8);

    public readonly bool IsGet => Method.SequenceEqual("GET"u8);
}
