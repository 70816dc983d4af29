using System.Net;

namespace Netpoll.Load.Contracts;

/// <summary>A load test as the module sends it to the worker: plain values, one JSON line.</summary>
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
    public double ProgressIntervalSeconds { get; init; } = 0.5;

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
        ProgressInterval = TimeSpan.FromSeconds(ProgressIntervalSeconds),
    };
}
