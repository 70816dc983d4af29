namespace Netpoll.Protocols;

/// <summary>What an <see cref="HttpHandler"/> refused or cut short, since it started.</summary>
/// <param name="Rejected">Requests refused before any route saw them (400, 413, 414, 417, 431, 501, 505), each followed by a close.</param>
/// <param name="HeadTimeouts">Connections closed because a request head did not arrive within RequestHeadTimeout (408 when part of it had).</param>
/// <param name="BodyTimeouts">Connections closed because a request body arrived slower than MinBodyDataRate (408).</param>
/// <param name="RouteFailures">Dynamic routes whose callback threw or returned no valid response (each answered 500).</param>
public sealed record HttpServerStatistics(long Rejected, long HeadTimeouts, long BodyTimeouts, long RouteFailures);
