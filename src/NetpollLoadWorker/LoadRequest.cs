using System.Net;
using System.Net.Sockets;
using Netpoll.Load;

namespace Netpoll.LoadWorker;

/// <summary>A load test as the module sends it to the worker: plain values, one JSON line.</summary>
public sealed record LoadRequest
{
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
    public int Pollers { get; init; } = 1;
    public double ProgressIntervalSeconds { get; init; } = 0.5;

    public LoadOptions ToOptions() => new()
    {
        Target = ParseEndPoint(Target),
        Connections = Connections,
        ConnectRate = ConnectRate,
        Duration = DurationSeconds is { } d ? TimeSpan.FromSeconds(d) : null,
        Requests = Requests,
        MessageSize = MessageSize,
        Pattern = Pattern,
        Pipeline = Pipeline,
        SourceAddresses = [.. SourceAddresses.Select(IPAddress.Parse)],
        ConnectTimeout = TimeSpan.FromSeconds(ConnectTimeoutSeconds),
        Pollers = Pollers,
        ProgressInterval = TimeSpan.FromSeconds(ProgressIntervalSeconds),
    };

    /// <summary>host:port, [v6]:port, or unix:/path.</summary>
    public static EndPoint ParseEndPoint(string text)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(text);
        if (text.StartsWith("unix:", StringComparison.Ordinal))
        {
            return new UnixDomainSocketEndPoint(text[5..]);
        }

        if (IPEndPoint.TryParse(text, out IPEndPoint? ip) && ip.Port != 0)
        {
            return ip;
        }

        int colon = text.LastIndexOf(':');
        if (colon > 0 && string.Equals(text[..colon], "localhost", StringComparison.OrdinalIgnoreCase) &&
            int.TryParse(text[(colon + 1)..], System.Globalization.CultureInfo.InvariantCulture, out int port) && port is > 0 and <= 65535)
        {
            return new IPEndPoint(IPAddress.Loopback, port);
        }

        throw new FormatException($"'{text}' is not a target: give host:port with an IP address (127.0.0.1:7000, [::1]:7000, localhost:7000) or unix:/path.");
    }
}
