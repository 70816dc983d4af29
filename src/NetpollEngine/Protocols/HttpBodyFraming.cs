namespace Netpoll.Protocols;

/// <summary>How the request body is delimited (RFC 9112 §6.3).</summary>
internal enum HttpBodyFraming
{
    None,
    ContentLength,
    Chunked,
}
