using System.Net;

namespace Netpoll.Load;

/// <summary>What a load test does. Bound it by <see cref="Duration"/>, <see cref="Requests"/>, or both.</summary>
public sealed record LoadOptions
{
    /// <summary>The default <see cref="ResponseTimeout"/>.</summary>
    public static readonly TimeSpan DefaultResponseTimeout = TimeSpan.FromSeconds(5);

    public required EndPoint Target { get; init; }

    /// <summary>Connections to open.</summary>
    public int Connections { get; init; } = 100;

    /// <summary>New connections per second while ramping up. Zero: as fast as possible.</summary>
    public int ConnectRate { get; init; }

    /// <summary>Stop after this long (the ramp included). Null: bounded by <see cref="Requests"/> only.</summary>
    public TimeSpan? Duration { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Stop after this many completed requests in all. Zero: bounded by <see cref="Duration"/> only.</summary>
    public long Requests { get; init; }

    /// <summary>Bytes per echo request.</summary>
    public int MessageSize { get; init; } = 1024;

    public LoadPattern Pattern { get; init; } = LoadPattern.PingPong;

    /// <summary>Requests in flight per connection for Pipelined and Http.</summary>
    public int Pipeline { get; init; } = 1;

    /// <summary>Source addresses to spread connections over (e.g. 127.0.0.1–127.0.0.8), so large counts do not run out of ephemeral ports. Empty: the system picks.</summary>
    public IReadOnlyList<IPAddress> SourceAddresses { get; init; } = [];

    /// <summary>Connect timeout per connection.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long a sent request may wait with no byte of its reply arriving. It then fails as a
    /// <see cref="LoadErrorKind.ResponseTimeout"/> and its connection closes, so a server that never
    /// answers ends a test bounded by <see cref="Requests"/> instead of hanging it. Not used by Idle.
    /// </summary>
    public TimeSpan ResponseTimeout { get; init; } = DefaultResponseTimeout;

    /// <summary>Client pollers.</summary>
    public int Pollers { get; init; } = 1;

    /// <summary>How often the progress callback runs.</summary>
    public TimeSpan ProgressInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Throws ArgumentException (naming the option and what is allowed) when the options cannot run.</summary>
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(Target);
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

        if (Duration is null && Requests == 0 && Pattern != LoadPattern.Idle)
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

        if (ResponseTimeout <= TimeSpan.Zero || ResponseTimeout > TimeSpan.FromDays(1))
        {
            throw new ArgumentOutOfRangeException(nameof(ResponseTimeout), ResponseTimeout, "ResponseTimeout must be positive and at most one day.");
        }

        if (ProgressInterval <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(ProgressInterval), ProgressInterval, "ProgressInterval must be positive.");
        }
    }
}
