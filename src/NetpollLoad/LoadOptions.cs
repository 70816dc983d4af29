using System.Net;
using Netpoll.Polling;
using Netpoll.Tls;

namespace Netpoll.Load;

/// <summary>
/// What a load test does. Bound it by <see cref="Duration"/>, <see cref="Requests"/>, or both (or by
/// <see cref="Stages"/>). Closed loop by default (each connection sends its next request when a reply
/// completes); with <see cref="Rate"/> or <see cref="Stages"/>, open model at a fixed schedule.
/// </summary>
public sealed record LoadOptions
{
    /// <summary>The highest <see cref="Rate"/> (and stage rate) accepted, per second.</summary>
    public const double MaxRate = 10_000_000;

    /// <summary>How far ahead <see cref="StartAt"/> may be: further is more likely a clock or time-zone mistake than a plan.</summary>
    public static readonly TimeSpan MaxStartDelay = TimeSpan.FromHours(1);

    /// <summary>The default <see cref="ResponseTimeout"/>.</summary>
    public static readonly TimeSpan DefaultResponseTimeout = TimeSpan.FromSeconds(5);

    /// <summary>The default <see cref="ConnectTimeout"/>.</summary>
    public static readonly TimeSpan DefaultConnectTimeout = TimeSpan.FromSeconds(10);

    /// <summary>The longest <see cref="ConnectTimeout"/> and <see cref="ResponseTimeout"/> accepted.</summary>
    public static readonly TimeSpan MaxTimeout = TimeSpan.FromDays(1);

    public required EndPoint Target { get; init; }

    /// <summary>
    /// Further addresses of the target (the other addresses its name resolved to), tried in order when a connect to
    /// <see cref="Target"/> fails, until one accepts: the first that accepts is then the run's only address, so
    /// reconnects do not retry the ones that failed (as wrk, which probes each address at start, and curl do). Empty:
    /// <see cref="Target"/> alone.
    /// </summary>
    public IReadOnlyList<EndPoint> FallbackTargets { get; init; } = [];

    /// <summary>Connections to open.</summary>
    public int Connections { get; init; } = 100;

    /// <summary>New connections per second while ramping up. Zero: as fast as possible.</summary>
    public int ConnectRate { get; init; }

    /// <summary>Stop after this long (the ramp included). Null: bounded by <see cref="Requests"/> only (or by <see cref="Stages"/>, which need it null).</summary>
    public TimeSpan? Duration { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Stop after this many completed requests in all. Zero: bounded by <see cref="Duration"/> only.</summary>
    public long Requests { get; init; }

    /// <summary>Bytes per echo request.</summary>
    public int MessageSize { get; init; } = 1024;

    public LoadPattern Pattern { get; init; } = LoadPattern.PingPong;

    /// <summary>Requests in flight per connection for Pipelined, Http and Payload.</summary>
    public int Pipeline { get; init; } = 1;

    /// <summary>
    /// Http pattern: a request with an idempotent method (GET, HEAD, OPTIONS, TRACE, PUT, DELETE) that a reused keep-alive
    /// connection lost to its close (FIN, reset, or <c>Connection: close</c> on an earlier response) before any of its
    /// response arrived is sent again, first, on the slot's next connection, as RFC 9112 §9.3.1 allows and Go's net/http
    /// (k6) does by default: a server may close an idle connection just as a request arrives, through no fault of its
    /// own. Again if that connection too answered a response before losing it (a pipeline deeper than the server's
    /// keep-alive request limit), at most <see cref="Pipeline"/> times; never after a connection that answered nothing.
    /// Counted in <see cref="LoadResult.RequestsRetried"/>; its latency runs from its first attempt. False: such
    /// requests fail as <see cref="LoadErrorKind.ClosedEarly"/> (or Reset). POST, PATCH and other methods are never retried.
    /// </summary>
    public bool RetryIdempotent { get; init; } = true;

    /// <summary>The Http pattern's requests, sent by weight; empty: <c>GET /</c> with Host from <see cref="Target"/>. They share one origin (http://host:port), which <see cref="Target"/> is the resolved address of.</summary>
    public IReadOnlyList<LoadHttpRequest> HttpRequests { get; init; } = [];

    /// <summary>The Payload pattern's request bytes (RESP's <c>PING\r\n</c>, a memcached get, a user's own protocol).</summary>
    public ReadOnlyMemory<byte> Payload { get; init; }

    /// <summary>Payload pattern: each reply is exactly this many bytes. Give this or <see cref="ResponseDelimiter"/>.</summary>
    public long ResponseSize { get; init; }

    /// <summary>Payload pattern: each reply ends with these bytes (CRLF for RESP's +PONG). Give this or <see cref="ResponseSize"/>.</summary>
    public ReadOnlyMemory<byte> ResponseDelimiter { get; init; }

    /// <summary>
    /// Payload pattern: the server speaks first (SMTP's and FTP's 220, POP3's +OK, an SSH banner), so each connection reads
    /// one greeting, framed as the replies are (<see cref="ResponseDelimiter"/> or <see cref="ResponseSize"/>), before it
    /// sends its first request. Without it the greeting is read as the first request's reply and every reply after it
    /// is matched to the request after its own. The greeting is no request: its bytes count in
    /// <see cref="LoadResult.BytesReceived"/>, its wait in nothing (a fixed rate's requests that fall due meanwhile show it
    /// in their latency). A greeting not read within <see cref="ResponseTimeout"/> of the connect closes the connection as
    /// one <see cref="LoadErrorKind.ResponseTimeout"/>; a server that closes before it is one <see cref="LoadErrorKind.ClosedEarly"/>.
    /// </summary>
    public bool ReadGreeting { get; init; }

    /// <summary>
    /// Requests per second, held across all connections whatever the server does (open model). Each request's
    /// latency counts from when it was due, so a server that stalls shows the stall; <see cref="LoadResult"/>
    /// also reports the service time from the actual send, and how far the schedule fell behind. Zero: closed loop.
    /// With <see cref="Stages"/>, the rate the first stage starts from.
    /// </summary>
    public double Rate { get; init; }

    /// <summary>Ramps of a fixed-rate test: each moves the rate in a straight line to its own over its duration. The test lasts their total (leave <see cref="Duration"/> null).</summary>
    public IReadOnlyList<LoadStage> Stages { get; init; } = [];

    /// <summary>Conditions the result is checked against; their verdicts are in <see cref="LoadResult.Thresholds"/>.</summary>
    public IReadOnlyList<LoadThreshold> Thresholds { get; init; } = [];

    /// <summary>
    /// When requests begin (wall clock), so load generators on several machines start together: connections open
    /// before it, and the test's clock (its duration, schedule and timeline) starts at it. Null: at once.
    /// </summary>
    public DateTimeOffset? StartAt { get; init; }

    /// <summary>Where to write HdrHistogram's interval log (one line per progress interval; the file is replaced). Null: none.</summary>
    public string? HistogramLogPath { get; init; }

    /// <summary>Fixed rate (open model) rather than closed loop.</summary>
    public bool IsFixedRate => Rate > 0 || Stages.Count > 0;

    /// <summary>Source addresses to spread connections over (e.g. 127.0.0.1–127.0.0.8), so large counts do not run out of ephemeral ports. Empty: the system picks.</summary>
    public IReadOnlyList<IPAddress> SourceAddresses { get; init; } = [];

    /// <summary>
    /// How long one connect to one address may take before it fails as a <see cref="LoadErrorKind.ConnectTimeout"/> (or,
    /// while no address has accepted yet, moves on to the target's next address). Positive, at most <see cref="MaxTimeout"/>.
    /// </summary>
    public TimeSpan ConnectTimeout { get; init; } = DefaultConnectTimeout;

    /// <summary>
    /// How long a sent request may wait for its whole reply. It then fails as a
    /// <see cref="LoadErrorKind.ResponseTimeout"/> and its connection closes, so a server that never
    /// answers ends a test bounded by <see cref="Requests"/> instead of hanging it. Not used by Idle.
    /// </summary>
    public TimeSpan ResponseTimeout { get; init; } = DefaultResponseTimeout;

    /// <summary>
    /// Connect over TLS with these options (checked when the run's dialer is made): e.g. <c>SkipCertificateValidation</c> for a
    /// self-signed server, <c>SessionResumption</c> to resume sessions on new connections. Null: plain TCP, except for
    /// https:// <see cref="HttpRequests"/>, which then connect with the default options. A null <c>TargetHost</c> is
    /// taken from an https:// request's host name.
    /// </summary>
    public TlsClientOptions? Tls { get; init; }

    /// <summary>Client pollers.</summary>
    public int Pollers { get; init; } = 1;

    /// <summary>The kernel API the client's pollers run on (the dialer's <see cref="Client.DialerOptions.Backend"/>; Auto by default).</summary>
    public PollerBackendKind Backend { get; init; } = PollerBackendKind.Auto;

    /// <summary>How often the progress callback runs.</summary>
    public TimeSpan ProgressInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The TLS the run's dialer uses (see <see cref="Tls"/>), or null for plain TCP.</summary>
    internal TlsClientOptions? DialerTls()
    {
        Uri? https = HttpRequests.Select(r => r.Uri).FirstOrDefault(u => u.Scheme == Uri.UriSchemeHttps);
        TlsClientOptions? tls = Tls ?? (https is null ? null : new TlsClientOptions());
        if (tls is null)
        {
            return null;
        }

        bool http = Pattern is LoadPattern.Http or LoadPattern.Handshake;
        return tls with
        {
            // SNI and the certificate's name check: the URI's host name (an address has no SNI).
            TargetHost = tls.TargetHost ?? (https?.HostNameType == UriHostNameType.Dns ? https.IdnHost : null),
            ApplicationProtocols = tls.ApplicationProtocols ?? (http ? ["http/1.1"] : null),
        };
    }

    /// <summary>Throws ArgumentException (naming the option and what is allowed) when the options cannot run.</summary>
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(Target);
        ArgumentNullException.ThrowIfNull(FallbackTargets);
        if (FallbackTargets.Any(t => t is null))
        {
            throw new ArgumentException("FallbackTargets must not hold null.", nameof(FallbackTargets));
        }
        if (Connections is < 1 or > 1_000_000)
        {
            throw new ArgumentOutOfRangeException(nameof(Connections), Connections, "Connections must be between 1 and 1,000,000.");
        }

        if (ConnectRate < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(ConnectRate), ConnectRate, "ConnectRate must be zero (unlimited) or more.");
        }

        if (Duration is { } d && (d <= TimeSpan.Zero || d > TimeSpan.FromDays(1)))
        {
            throw new ArgumentOutOfRangeException(nameof(Duration), d, "Duration must be positive and at most one day.");
        }

        if (Requests < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(Requests), Requests, "Requests must be zero (no limit) or more.");
        }

        if (Duration is null && Requests == 0 && Pattern != LoadPattern.Idle && Stages.Count == 0)
        {
            throw new ArgumentException("Bound the test: give a Duration, a Requests count, or both.", nameof(Duration));
        }

        if (Duration is null && Pattern == LoadPattern.Idle)
        {
            throw new ArgumentException("An Idle test needs a Duration.", nameof(Duration));
        }

        if (MessageSize is < 1 or > 16 * 1024 * 1024)
        {
            throw new ArgumentOutOfRangeException(nameof(MessageSize), MessageSize, "MessageSize must be between 1 byte and 16 MiB.");
        }

        if (Pipeline is < 1 or > 1024)
        {
            throw new ArgumentOutOfRangeException(nameof(Pipeline), Pipeline, "Pipeline must be between 1 and 1024.");
        }

        if (Pollers is < 1 or > 64)
        {
            throw new ArgumentOutOfRangeException(nameof(Pollers), Pollers, "Pollers must be between 1 and 64.");
        }

        if (!Enum.IsDefined(Backend))
        {
            throw new ArgumentOutOfRangeException(nameof(Backend), Backend, "Backend must be Auto, Epoll, Kqueue or IoUring.");
        }

        if (ConnectTimeout <= TimeSpan.Zero || ConnectTimeout > MaxTimeout)
        {
            throw new ArgumentOutOfRangeException(nameof(ConnectTimeout), ConnectTimeout, "ConnectTimeout must be positive and at most one day.");
        }

        if (ResponseTimeout <= TimeSpan.Zero || ResponseTimeout > MaxTimeout)
        {
            throw new ArgumentOutOfRangeException(nameof(ResponseTimeout), ResponseTimeout, "ResponseTimeout must be positive and at most one day.");
        }

        if (ProgressInterval <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(ProgressInterval), ProgressInterval, "ProgressInterval must be positive.");
        }

        ValidatePattern();
        ValidateSchedule();
        ValidateStartAt(StartAt, DateTimeOffset.UtcNow);
        ArgumentNullException.ThrowIfNull(Thresholds);
        if (Thresholds.Any(t => t is null))
        {
            throw new ArgumentException("A threshold is null.", nameof(Thresholds));
        }

        if (HistogramLogPath is { Length: 0 })
        {
            throw new ArgumentException("HistogramLogPath is empty: give a file path, or null for no log.", nameof(HistogramLogPath));
        }
    }

    private void ValidatePattern()
    {
        ArgumentNullException.ThrowIfNull(HttpRequests);
        if (HttpRequests.Count > 0 && Pattern is not (LoadPattern.Http or LoadPattern.Handshake))
        {
            throw new ArgumentException($"HttpRequests are sent by the Http and Handshake patterns, not {Pattern}.", nameof(HttpRequests));
        }

        foreach (LoadHttpRequest request in HttpRequests)
        {
            ArgumentNullException.ThrowIfNull(request, nameof(HttpRequests));
            request.Validate();
        }

        string[] origins = [.. HttpRequests.Select(r => r.Origin).Distinct(StringComparer.OrdinalIgnoreCase)];
        if (origins.Length > 1)
        {
            throw new ArgumentException($"The requests go to {origins.Length} origins ({string.Join(", ", origins)}); a run loads one. Run one test per origin (they can run at once and their results merge).", nameof(HttpRequests));
        }

        if (Tls is not null && HttpRequests.Count > 0 && HttpRequests[0].Uri.Scheme == Uri.UriSchemeHttp)
        {
            throw new ArgumentException("The requests are http:// and Tls is set: load https:// URIs over TLS, or leave Tls null.", nameof(Tls));
        }

        if (Pattern == LoadPattern.Payload)
        {
            if (Payload.Length is < 1 or > 16 * 1024 * 1024)
            {
                throw new ArgumentException("The Payload pattern sends Payload: give 1 byte to 16 MiB.", nameof(Payload));
            }

            if ((ResponseSize > 0) == (ResponseDelimiter.Length > 0))
            {
                throw new ArgumentException("Tell the Payload pattern where a reply ends: give ResponseSize (bytes per reply) or ResponseDelimiter (the bytes that end one), not both.", nameof(ResponseSize));
            }

            if (ResponseSize < 0 || ResponseDelimiter.Length > 1024)
            {
                throw new ArgumentException("ResponseSize must be positive and ResponseDelimiter at most 1024 bytes.", nameof(ResponseSize));
            }
        }
        else if (Payload.Length > 0 || ResponseSize != 0 || ResponseDelimiter.Length > 0 || ReadGreeting)
        {
            throw new ArgumentException($"Payload, ResponseSize, ResponseDelimiter and ReadGreeting are for the Payload pattern, not {Pattern}.", nameof(Payload));
        }
    }

    private void ValidateSchedule()
    {
        ArgumentNullException.ThrowIfNull(Stages);
        if (double.IsNaN(Rate) || Rate is < 0 or > MaxRate)
        {
            throw new ArgumentOutOfRangeException(nameof(Rate), Rate, $"Rate must be zero (closed loop) or up to {MaxRate:N0} requests per second.");
        }

        if (Stages.Count > 0 && Duration is not null)
        {
            throw new ArgumentException($"Stages set the duration (their total, {Stages.Sum(s => s.Duration.TotalSeconds):0.###} s): leave Duration null.", nameof(Duration));
        }

        foreach (LoadStage stage in Stages)
        {
            ArgumentNullException.ThrowIfNull(stage, nameof(Stages));
            if (stage.Duration <= TimeSpan.Zero || stage.Duration > TimeSpan.FromDays(1) || double.IsNaN(stage.Rate) || stage.Rate is < 0 or > MaxRate)
            {
                throw new ArgumentOutOfRangeException(nameof(Stages), stage, $"A stage lasts more than zero and at most a day, and ends at a rate from 0 to {MaxRate:N0} per second.");
            }
        }

        if (Stages.Count > 0 && (Stages.Sum(s => s.Duration.TotalSeconds) > TimeSpan.FromDays(1).TotalSeconds || (Stages.All(s => s.Rate == 0) && Rate == 0)))
        {
            throw new ArgumentException("The stages last at most a day in all, and at least one has a rate above zero.", nameof(Stages));
        }

        if (IsFixedRate && Pattern == LoadPattern.Idle)
        {
            throw new ArgumentException("An Idle test sends nothing, so it has no rate.", nameof(Rate));
        }

        if (IsFixedRate && Pattern == LoadPattern.Handshake)
        {
            throw new ArgumentException("The Handshake pattern is closed loop (each connection's request waits for its connect and handshake): leave Rate and Stages out, and set the load with Connections.", nameof(Rate));
        }
    }

    /// <summary>Throws ArgumentOutOfRangeException, saying why, for a <see cref="StartAt"/> in the past or more than <see cref="MaxStartDelay"/> ahead of <paramref name="now"/>.</summary>
    public static void ValidateStartAt(DateTimeOffset? startAt, DateTimeOffset now)
    {
        if (startAt is not { } start)
        {
            return;
        }

        if (start <= now)
        {
            throw new ArgumentOutOfRangeException(nameof(StartAt), start, $"StartAt {start.ToUniversalTime():o} is {(now - start).TotalSeconds:0.###} s in the past (now is {now.ToUniversalTime():o}): give a time ahead, long enough to open the connections first.");
        }

        if (start - now > MaxStartDelay)
        {
            throw new ArgumentOutOfRangeException(nameof(StartAt), start, $"StartAt {start.ToUniversalTime():o} is {(start - now).TotalMinutes:0.#} min ahead; at most {MaxStartDelay.TotalMinutes:0} min is allowed (check the clock and the time zone).");
        }
    }
}
