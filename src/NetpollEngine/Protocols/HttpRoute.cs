using System.Diagnostics;

namespace Netpoll.Protocols;

/// <summary>
/// One route of an <see cref="HttpRouteTable"/>: a "METHOD /path" pattern (see <see cref="Pattern"/>)
/// answered by a static <see cref="HttpResponse"/> or by a callback. It counts its requests and their latency.
/// </summary>
/// <remarks>
/// A static route is checked and turned into bytes when it is made, so a bad one fails here with what
/// is wrong, and serving it costs a copy (no allocation). A dynamic route's callback gets an
/// <see cref="HttpRequest"/> and may complete later on any thread; it starts on the ThreadPool unless
/// <see cref="RunsInline"/>, so it never blocks a poller thread. A callback that throws (or returns null)
/// answers 500 and raises <see cref="HttpHandler.RouteFailed"/>.
/// </remarks>
public sealed class HttpRoute
{
    private long _hits;
    private long _failures;
    private long _latencyTicks;
    private long _maxLatencyTicks;

    private HttpRoute(HttpRoutePattern pattern, HttpResponse? response, HttpResponseTemplate? template, Func<HttpRequest, ValueTask<HttpResponse>>? callback, bool runsInline)
    {
        Parsed = pattern;
        Response = response;
        Template = template;
        Callback = callback;
        RunsInline = runsInline;
    }

    /// <summary>"METHOD /path", normalized ("*" for any method).</summary>
    public string Pattern => Parsed.Text;

    /// <summary>The method, or "*" for any.</summary>
    public string Method => Parsed.Method;

    public string Path => Parsed.Path;

    /// <summary>The static response; null for a dynamic route.</summary>
    public HttpResponse? Response { get; }

    /// <summary>The callback; null for a static route.</summary>
    public Func<HttpRequest, ValueTask<HttpResponse>>? Callback { get; }

    public bool IsDynamic => Callback is not null;

    /// <summary>The callback runs on the thread that parsed the request (a poller thread by default): only for callbacks that return at once.</summary>
    public bool RunsInline { get; }

    /// <summary>Requests answered by this route.</summary>
    public long Hits => Volatile.Read(ref _hits);

    /// <summary>Requests whose callback threw or returned no valid response (each answered 500).</summary>
    public long Failures => Volatile.Read(ref _failures);

    /// <summary>Mean time from a request's last byte to its response being written (delays and callbacks included).</summary>
    public TimeSpan MeanLatency
    {
        get
        {
            long hits = Hits;
            return hits == 0 ? TimeSpan.Zero : Stopwatch.GetElapsedTime(0, Volatile.Read(ref _latencyTicks) / hits);
        }
    }

    /// <summary>Longest time from a request's last byte to its response being written.</summary>
    public TimeSpan MaxLatency => Stopwatch.GetElapsedTime(0, Volatile.Read(ref _maxLatencyTicks));

    internal HttpRoutePattern Parsed { get; }

    internal HttpResponseTemplate? Template { get; }

    /// <summary>A route that always answers <paramref name="response"/>.</summary>
    /// <param name="pattern">"METHOD /path": METHOD a token or * (any; also when left out); path segments literal, {name}, * (one segment) or ** (the rest, last).</param>
    /// <exception cref="ArgumentException">The pattern or the response is malformed; the message says what is allowed.</exception>
    public static HttpRoute Static(string pattern, HttpResponse response) =>
        new(HttpRoutePattern.Parse(pattern), response, HttpResponseTemplate.Compile(response), callback: null, runsInline: false);

    /// <summary>A route answered by <paramref name="callback"/>.</summary>
    /// <param name="pattern">As for <see cref="Static"/>.</param>
    /// <param name="callback">Gets the request; returns the response, now or later.</param>
    /// <param name="runsInline">True only when the callback returns at once without blocking; it then skips the ThreadPool hop.</param>
    public static HttpRoute Dynamic(string pattern, Func<HttpRequest, ValueTask<HttpResponse>> callback, bool runsInline = false)
    {
        ArgumentNullException.ThrowIfNull(callback);
        return new(HttpRoutePattern.Parse(pattern), response: null, template: null, callback, runsInline);
    }

    public override string ToString() => $"{Pattern} → {(IsDynamic ? "callback" : Response!.ToString())}";

    internal void Record(long startTimestamp, bool failed)
    {
        long ticks = Stopwatch.GetTimestamp() - startTimestamp;
        Interlocked.Increment(ref _hits);
        Interlocked.Add(ref _latencyTicks, ticks);
        if (failed)
        {
            Interlocked.Increment(ref _failures);
        }

        long max = Volatile.Read(ref _maxLatencyTicks);
        while (ticks > max)
        {
            long seen = Interlocked.CompareExchange(ref _maxLatencyTicks, ticks, max);
            if (seen == max)
            {
                break;
            }

            max = seen;
        }
    }
}
