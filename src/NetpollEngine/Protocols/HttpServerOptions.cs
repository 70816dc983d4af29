namespace Netpoll.Protocols;

/// <summary>
/// Limits and timeouts of <see cref="HttpHandler"/>, one set per server. The defaults follow Kestrel
/// (request head 30 s, minimum body rate 240 B/s after 5 s, keep-alive 130 s) and nginx (client_header_timeout).
/// A request over a limit is answered with its status and <c>Connection: close</c>, and the connection closes.
/// </summary>
public sealed record HttpServerOptions
{
    /// <summary>Longest request line (method, target, version) accepted; longer gets 414.</summary>
    public int MaxRequestLineBytes { get; init; } = 8 * 1024;

    /// <summary>Largest request head (request line plus header fields) accepted; larger gets 431.</summary>
    public int MaxHeaderBytes { get; init; } = HttpHandler.MaxHeaderBytes;

    /// <summary>Most header fields (or trailer fields) in one request; more gets 431.</summary>
    public int MaxHeaderCount { get; init; } = 100;

    /// <summary>Largest request body (Content-Length or the sum of its chunks) accepted; larger gets 413.</summary>
    public long MaxBodyBytes { get; init; } = HttpHandler.MaxBodyBytes;

    /// <summary>
    /// Time from a connection's first byte of a request head (or from accept, for the first request) to
    /// the end of that head. A client still sending its head then gets 408 and is closed; one that sent
    /// nothing is closed silently (slowloris). Zero: off.
    /// </summary>
    public TimeSpan RequestHeadTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long a keep-alive connection may sit idle between requests (from the moment the last answer was written
    /// and no further request has begun) before it is closed without a word, as Kestrel's KeepAliveTimeout (130 s)
    /// and nginx's keepalive_timeout (75 s) do. A client still taking in the last answer is not idle. Zero: off.
    /// </summary>
    public TimeSpan KeepAliveTimeout { get; init; } = TimeSpan.FromSeconds(130);

    /// <summary>Bytes per second a request body must average once <see cref="MinBodyDataRateGracePeriod"/> has passed; slower gets 408. Zero: off.</summary>
    public double MinBodyDataRate { get; init; } = 240;

    /// <summary>How long a body may arrive slower than <see cref="MinBodyDataRate"/> before the rate counts.</summary>
    public TimeSpan MinBodyDataRateGracePeriod { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first value out of range.</summary>
    public void Validate()
    {
        Check(MaxRequestLineBytes, 16, nameof(MaxRequestLineBytes));
        Check(MaxHeaderBytes, 16, nameof(MaxHeaderBytes));
        Check(MaxHeaderCount, 1, nameof(MaxHeaderCount));
        if (MaxBodyBytes < 0 || MaxBodyBytes > int.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxBodyBytes), MaxBodyBytes, $"{nameof(MaxBodyBytes)} must be between 0 and {int.MaxValue}.");
        }

        Check(RequestHeadTimeout, nameof(RequestHeadTimeout));
        Check(KeepAliveTimeout, nameof(KeepAliveTimeout));
        Check(MinBodyDataRateGracePeriod, nameof(MinBodyDataRateGracePeriod));
        if (!(MinBodyDataRate >= 0) || double.IsInfinity(MinBodyDataRate))
        {
            throw new ArgumentOutOfRangeException(nameof(MinBodyDataRate), MinBodyDataRate, $"{nameof(MinBodyDataRate)} must be zero (off) or a finite number of bytes per second.");
        }
    }

    private static void Check(int value, int minimum, string name)
    {
        const int Maximum = 1024 * 1024;
        if (value < minimum || value > Maximum)
        {
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be between {minimum} and {Maximum}.");
        }
    }

    private static void Check(TimeSpan value, string name)
    {
        if (value < TimeSpan.Zero || value > TimeSpan.FromDays(24))
        {
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be between zero (off) and 24 days.");
        }
    }
}
