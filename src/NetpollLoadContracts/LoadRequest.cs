using System.Net;
using Netpoll.Polling;

namespace Netpoll.Load.Contracts;

/// <summary>A load test as the module sends it to the worker: plain values, one JSON line. Mirrors <see cref="LoadOptions"/>.</summary>
public sealed record LoadRequest
{
    /// <summary>The target, already resolved by the sender (an IP endpoint or unix:/path), so both sides load the same address.</summary>
    public required string Target { get; init; }
    public int Connections { get; init; } = 100;
    public int ConnectRate { get; init; }
    public double? DurationSeconds { get; init; }
    public long Requests { get; init; }
    public int MessageSize { get; init; } = 1024;
    public LoadPattern Pattern { get; init; } = LoadPattern.PingPong;
    public int Pipeline { get; init; } = 1;
    public string[] SourceAddresses { get; init; } = [];
    public double ConnectTimeoutSeconds { get; init; } = 10;
    public double ResponseTimeoutSeconds { get; init; } = 5;
    public int Pollers { get; init; } = 1;
    public PollerBackendKind Backend { get; init; } = PollerBackendKind.Auto;
    public double ProgressIntervalSeconds { get; init; } = 0.5;

    /// <summary>The Http pattern's requests (bodies travel as base64).</summary>
    public LoadHttpRequest[] HttpRequests { get; init; } = [];

    public byte[] Payload { get; init; } = [];
    public long ResponseSize { get; init; }
    public byte[] ResponseDelimiter { get; init; } = [];
    public double Rate { get; init; }
    public LoadStage[] Stages { get; init; } = [];
    public LoadThreshold[] Thresholds { get; init; } = [];

    /// <summary>Where the worker writes the interval log: a full path, which names the same file for both processes.</summary>
    public string? HistogramLogPath { get; init; }

    /// <summary>The request for <paramref name="options"/>, whose target <paramref name="target"/> names.</summary>
    public static LoadRequest From(LoadOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new LoadRequest
        {
            Target = LoadTarget.Format(options.Target),
            Connections = options.Connections,
            ConnectRate = options.ConnectRate,
            DurationSeconds = options.Duration?.TotalSeconds,
            Requests = options.Requests,
            MessageSize = options.MessageSize,
            Pattern = options.Pattern,
            Pipeline = options.Pipeline,
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
            Rate = options.Rate,
            Stages = [.. options.Stages],
            Thresholds = [.. options.Thresholds],
            HistogramLogPath = options.HistogramLogPath is { } path ? Path.GetFullPath(path) : null,
        };
    }

    /// <exception cref="FormatException">The target or a source address is not valid.</exception>
    /// <exception cref="System.Net.Sockets.SocketException">The target names a host that could not be resolved.</exception>
    public LoadOptions ToOptions() => new()
    {
        Target = LoadTarget.Resolve(Target),
        Connections = Connections,
        ConnectRate = ConnectRate,
        Duration = DurationSeconds is { } d ? TimeSpan.FromSeconds(d) : null,
        Requests = Requests,
        MessageSize = MessageSize,
        Pattern = Pattern,
        Pipeline = Pipeline,
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
        Rate = Rate,
        Stages = Stages,
        Thresholds = Thresholds,
        HistogramLogPath = HistogramLogPath,
    };
}
