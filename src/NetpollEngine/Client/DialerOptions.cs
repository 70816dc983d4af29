using Netpoll.Buffers;
using Netpoll.Connections;
using Netpoll.Polling;
using Netpoll.Tls;

namespace Netpoll.Client;

/// <summary>Settings of one <see cref="Dialer"/> (its own pollers, pool and connection behaviour).</summary>
public sealed record DialerOptions
{
    private static int s_count;

    /// <summary>Name used in metrics (netpoll.owner.name) and engine events. Default: dialer-N.</summary>
    public string Name { get; init; } = $"dialer-{Interlocked.Increment(ref s_count)}";

    /// <summary>
    /// Whether the dialer's pollers appear on the Netpoll meter (netpoll.owner.name = <see cref="Name"/>). Default: on.
    /// Off for a dialer whose own pollers serve nothing, as a proxy's upstream dialer, whose connections are dialed onto
    /// the proxy's pollers (<see cref="Dialer.ConnectAlongsideAsync"/>) and count there: its owner would show 0 connections.
    /// </summary>
    public bool PublishesMetrics { get; init; } = true;

    /// <summary>Pollers for client connections.</summary>
    public int Pollers { get; init; } = PollGroup.DefaultCount;

    public LoadBalance LoadBalance { get; init; } = LoadBalance.RoundRobin;

    /// <summary>Default time a connect may take. Zero: no limit.</summary>
    public TimeSpan DialTimeout { get; init; } = TimeSpan.FromSeconds(10);

    public ConnectionOptions Connection { get; init; } = new();

    public BufferPoolOptions BufferPool { get; init; } = new();

    /// <summary>
    /// The kernel API the pollers run on. <see cref="PollerBackendKind.Auto"/> picks io_uring where the kernel
    /// allows it and it was measured to win for <see cref="ConnectionOptions.Dispatch"/>, else epoll (kqueue on
    /// macOS). When io_uring is refused, epoll runs: <see cref="Dialer.BackendInUse"/> and
    /// <see cref="Dialer.BackendReason"/> say which runs and why.
    /// </summary>
    public PollerBackendKind Backend { get; init; } = PollerBackendKind.Auto;

    /// <summary>How the pollers set up io_uring when they run on it.</summary>
    public IoUringOptions IoUring { get; init; } = new();

    /// <summary>TLS for every connection of this dialer (target host, ALPN, certificate validation, client certificate, session resumption). Null: plain TCP.</summary>
    public TlsClientOptions? Tls { get; init; }

    internal void Validate()
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(Name);
        if (Pollers < 1 || Pollers > 1024)
        {
            throw new ArgumentOutOfRangeException(nameof(Pollers), Pollers, "Pollers must be between 1 and 1024.");
        }

        if (DialTimeout < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(DialTimeout), DialTimeout, "DialTimeout must be zero (no limit) or positive.");
        }

        if (!Enum.IsDefined(Backend))
        {
            throw new ArgumentOutOfRangeException(nameof(Backend), Backend, "Backend must be Auto, Epoll, Kqueue or IoUring.");
        }

        ArgumentNullException.ThrowIfNull(Connection);
        ArgumentNullException.ThrowIfNull(BufferPool);
        ArgumentNullException.ThrowIfNull(IoUring);
        Connection.Validate();
        BufferPool.Validate();
        IoUring.Validate();
        Tls?.Validate();
    }
}
