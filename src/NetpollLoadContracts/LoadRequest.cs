using System.Net;
using System.Security.Cryptography;
using Netpoll.Tls;
using Netpoll.Polling;

namespace Netpoll.Load.Contracts;

/// <summary>A load test as the module sends it to the worker: plain values, one JSON line. Mirrors <see cref="LoadOptions"/>.</summary>
public sealed record LoadRequest
{
    /// <summary>The target, already resolved by the sender (an IP endpoint or unix:/path), so both sides load the same address.</summary>
    public required string Target { get; init; }

    /// <summary>The target's further addresses, resolved by the sender, tried in order when a connect to the one before fails.</summary>
    public string[] FallbackTargets { get; init; } = [];
    public int Connections { get; init; } = 100;
    public int ConnectRate { get; init; }
    public double? DurationSeconds { get; init; }
    public long Requests { get; init; }
    public int MessageSize { get; init; } = 1024;
    public LoadPattern Pattern { get; init; } = LoadPattern.PingPong;
    public int Pipeline { get; init; } = 1;
    public bool RetryIdempotent { get; init; } = true;
    public string[] SourceAddresses { get; init; } = [];
    public double ConnectTimeoutSeconds { get; init; } = 10;
    public double ResponseTimeoutSeconds { get; init; } = 5;
    public int Pollers { get; init; } = 1;
    public PollerBackendKind Backend { get; init; } = PollerBackendKind.Auto;
    public double ProgressIntervalSeconds { get; init; } = 0.5;

    /// <summary>Connect over TLS.</summary>
    public bool Tls { get; init; }

    /// <summary>The server's host name for SNI and the certificate's name check; null: the address.</summary>
    public string? TlsTargetHost { get; init; }

    /// <summary>Accept any server certificate.</summary>
    public bool SkipCertificateCheck { get; init; }

    /// <summary>Resume sessions (tickets) on new connections.</summary>
    public bool TlsResumption { get; init; }

    /// <summary>How long the TLS handshake may take after the TCP connect; null: the TLS options' default.</summary>
    public double? TlsHandshakeTimeoutSeconds { get; init; }

    /// <summary>Accept exactly the certificate with this SHA-256 hash (hex) and no other: a piped server's own, self-signed or not.</summary>
    public string? PinnedCertificateSha256 { get; init; }

    /// <summary>The Http pattern's requests (bodies travel as base64).</summary>
    public LoadHttpRequest[] HttpRequests { get; init; } = [];

    public byte[] Payload { get; init; } = [];
    public long ResponseSize { get; init; }
    public byte[] ResponseDelimiter { get; init; } = [];
    public bool ReadGreeting { get; init; }
    public double Rate { get; init; }
    public LoadStage[] Stages { get; init; } = [];
    public LoadThreshold[] Thresholds { get; init; } = [];

    /// <summary>When requests begin (wall clock); null: at once.</summary>
    public DateTimeOffset? StartAt { get; init; }

    /// <summary>Where the worker writes the interval log: a full path, which names the same file for both processes.</summary>
    public string? HistogramLogPath { get; init; }

    /// <summary>
    /// The request for <paramref name="options"/>. Its TLS crosses as plain values: the dialer's TLS options' target host,
    /// certificate check skip and resumption, and <paramref name="pinnedCertificateSha256"/> (the one certificate to trust);
    /// other TLS options (trusted roots, a client certificate, a validation callback) cannot cross a process and are refused.
    /// </summary>
    /// <exception cref="ArgumentException">The TLS options hold something that cannot cross to the worker.</exception>
    public static LoadRequest From(LoadOptions options, string? pinnedCertificateSha256 = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        TlsClientOptions? tls = options.Tls;
        if (tls is { TrustedRoots: not null } or { ClientCertificate: not null } || (tls?.RemoteCertificateValidation is not null && pinnedCertificateSha256 is null))
        {
            throw new ArgumentException("Trusted roots, a client certificate and a validation callback cannot cross to the isolated worker: run without isolation, or skip the certificate check.", nameof(options));
        }

        return new LoadRequest
        {
            Target = LoadTarget.Format(options.Target),
            FallbackTargets = [.. options.FallbackTargets.Select(LoadTarget.Format)],
            Connections = options.Connections,
            ConnectRate = options.ConnectRate,
            DurationSeconds = options.Duration?.TotalSeconds,
            Requests = options.Requests,
            MessageSize = options.MessageSize,
            Pattern = options.Pattern,
            Pipeline = options.Pipeline,
            RetryIdempotent = options.RetryIdempotent,
            SourceAddresses = [.. options.SourceAddresses.Select(a => a.ToString())],
            ConnectTimeoutSeconds = options.ConnectTimeout.TotalSeconds,
            ResponseTimeoutSeconds = options.ResponseTimeout.TotalSeconds,
            Pollers = options.Pollers,
            Backend = options.Backend,
            ProgressIntervalSeconds = options.ProgressInterval.TotalSeconds,
            HttpRequests = [.. options.HttpRequests],
            Payload = options.Payload.ToArray(),
            ResponseSize = options.ResponseSize,
            ResponseDelimiter = options.ResponseDelimiter.ToArray(),
            ReadGreeting = options.ReadGreeting,
            Rate = options.Rate,
            Stages = [.. options.Stages],
            Thresholds = [.. options.Thresholds],
            HistogramLogPath = options.HistogramLogPath is { } path ? Path.GetFullPath(path) : null,
            Tls = tls is not null,
            TlsTargetHost = tls?.TargetHost,
            SkipCertificateCheck = tls?.SkipCertificateValidation ?? false,
            TlsResumption = tls?.SessionResumption ?? false,
            PinnedCertificateSha256 = pinnedCertificateSha256,
            TlsHandshakeTimeoutSeconds = tls?.HandshakeTimeout.TotalSeconds,
            StartAt = options.StartAt,
        };
    }

    /// <exception cref="FormatException">The target or a source address is not valid.</exception>
    /// <exception cref="System.Net.Sockets.SocketException">The target names a host that could not be resolved.</exception>
    public LoadOptions ToOptions() => new()
    {
        Target = LoadTarget.Resolve(Target),
        FallbackTargets = [.. FallbackTargets.Select(LoadTarget.Resolve)],
        Connections = Connections,
        ConnectRate = ConnectRate,
        Duration = DurationSeconds is { } d ? TimeSpan.FromSeconds(d) : null,
        Requests = Requests,
        MessageSize = MessageSize,
        Pattern = Pattern,
        Pipeline = Pipeline,
        RetryIdempotent = RetryIdempotent,
        SourceAddresses = [.. SourceAddresses.Select(IPAddress.Parse)],
        ConnectTimeout = TimeSpan.FromSeconds(ConnectTimeoutSeconds),
        ResponseTimeout = TimeSpan.FromSeconds(ResponseTimeoutSeconds),
        Pollers = Pollers,
        Backend = Backend,
        ProgressInterval = TimeSpan.FromSeconds(ProgressIntervalSeconds),
        HttpRequests = HttpRequests,
        Payload = Payload,
        ResponseSize = ResponseSize,
        ResponseDelimiter = ResponseDelimiter,
        ReadGreeting = ReadGreeting,
        Rate = Rate,
        Stages = Stages,
        Thresholds = Thresholds,
        HistogramLogPath = HistogramLogPath,
        Tls = Tls ? TlsOptions(TlsTargetHost, SkipCertificateCheck, TlsResumption, PinnedCertificateSha256, TlsHandshakeTimeoutSeconds is { } handshake ? TimeSpan.FromSeconds(handshake) : null) : null,
        StartAt = StartAt,
    };

    /// <summary>
    /// TLS client options from the plain values a request carries (the module builds the same ones for a run in its own
    /// process): a pinned certificate hash trusts exactly that certificate, self-signed or not, and no other.
    /// </summary>
    /// <param name="handshakeTimeout">How long the handshake may take (Invoke-NetpollLoad gives its -ConnectTimeout); null: the TLS options' default.</param>
    public static TlsClientOptions TlsOptions(string? targetHost, bool skipCertificateCheck, bool resumption, string? pinnedCertificateSha256, TimeSpan? handshakeTimeout = null) => new()
    {
        HandshakeTimeout = handshakeTimeout ?? new TlsClientOptions().HandshakeTimeout,
        TargetHost = targetHost,
        SkipCertificateValidation = skipCertificateCheck,
        SessionResumption = resumption,
        RemoteCertificateValidation = pinnedCertificateSha256 is not { } pin || skipCertificateCheck
            ? null
            : (_, certificate, _, _) => certificate is not null && string.Equals(certificate.GetCertHashString(HashAlgorithmName.SHA256), pin, StringComparison.OrdinalIgnoreCase),
    };
}
