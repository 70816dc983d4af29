using System.Net;
using System.Net.Sockets;

namespace Netpoll.Load;

/// <summary>
/// A run's HTTP requests as bytes, built once, and the order to send them in: a wheel in which each request
/// appears as often as its weight (smooth weighted round-robin, so heavy requests are spread out, not bunched).
/// The run walks the wheel once, whichever connection sends: the n-th request written takes slot n, so N requests
/// over K equal URIs are N / K each (±1), however many connections share them. A cursor per connection made each
/// connection's share exact instead, and connections do not send equal shares (300 over 3 URIs on 3 connections
/// came out 100/99/101).
/// </summary>
internal sealed class HttpRequestSet
{
    /// <summary>Longest wheel; larger weight sums are scaled down to it (each request keeps at least one slot).</summary>
    private const int MaxWheel = 10_000;

    private readonly byte[][] _bytes;
    private readonly bool[] _isHead;
    private readonly bool[] _isIdempotent;
    private readonly int[] _wheel;
    private long _sent;                 // requests handed out: the next one takes wheel slot _sent % length

    private HttpRequestSet(IReadOnlyList<LoadHttpRequest> requests)
    {
        _bytes = [.. requests.Select(r => r.ToBytes())];
        _isHead = [.. requests.Select(r => r.IsHead)];
        _isIdempotent = [.. requests.Select(r => r.IsIdempotent)];
        _wheel = Wheel([.. requests.Select(r => r.Weight)]);
    }

    /// <summary>The requests to send: the options' own, or <c>GET /</c> to the target. The Handshake pattern's ask the server to close after the response.</summary>
    public static HttpRequestSet For(LoadOptions options)
    {
        IReadOnlyList<LoadHttpRequest> requests = options.HttpRequests.Count > 0 ? options.HttpRequests : [new LoadHttpRequest { Uri = DefaultUri(options.Target) }];
        return new(options.Pattern == LoadPattern.Handshake ? [.. requests.Select(ClosingAfter)] : requests);
    }

    /// <summary>The request with <c>Connection: close</c> (unless it names its own Connection header), so the server, not the client, holds TIME_WAIT.</summary>
    private static LoadHttpRequest ClosingAfter(LoadHttpRequest request) =>
        request.Headers.Any(h => h.Key.Equals("Connection", StringComparison.OrdinalIgnoreCase))
            ? request
            : request with { Headers = [.. request.Headers, new KeyValuePair<string, string>("Connection", "close")] };

    /// <summary>
    /// The next request to write, on any connection: one interlocked add on a counter the pollers share, only when there
    /// is a choice to make (a run of one request, the common case, shares nothing per request).
    /// </summary>
    public int Next() => _bytes.Length == 1 ? 0 : _wheel[(int)((ulong)(Interlocked.Increment(ref _sent) - 1) % (ulong)_wheel.Length)];

    public byte[] Bytes(int index) => _bytes[index];

    public bool IsHead(int index) => _isHead[index];

    /// <summary>Whether the request may be sent again automatically (RFC 9110 §9.2.2): see <see cref="LoadHttpRequest.IsIdempotent"/>.</summary>
    public bool IsIdempotent(int index) => _isIdempotent[index];

    private static Uri DefaultUri(EndPoint target) => target switch
    {
        IPEndPoint ip => new Uri($"http://{(ip.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{ip.Address}]" : ip.Address.ToString())}:{ip.Port}/"),
        DnsEndPoint dns => new Uri($"http://{dns.Host}:{dns.Port}/"),
        _ => new Uri("http://localhost/"), // a unix socket has no host; servers want one anyway
    };

    private static int[] Wheel(int[] weights)
    {
        long total = weights.Sum(w => (long)w);
        if (total > MaxWheel)
        {
            weights = [.. weights.Select(w => (int)Math.Max(1, w * MaxWheel / total))];
        }

        int slots = weights.Sum();
        var wheel = new int[slots];
        var current = new long[weights.Length];
        for (int slot = 0; slot < slots; slot++)
        {
            int best = 0;
            for (int i = 0; i < weights.Length; i++)
            {
                current[i] += weights[i];
                if (current[i] > current[best])
                {
                    best = i;
                }
            }

            current[best] -= slots;
            wheel[slot] = best;
        }

        return wheel;
    }
}
