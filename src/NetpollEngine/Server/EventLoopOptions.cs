using Netpoll.Buffers;
using Netpoll.Connections;
using Netpoll.Polling;
using Netpoll.Tls;

namespace Netpoll.Server;

/// <summary>Settings of one <see cref="EventLoop"/>. Every server owns its pollers, pool and options.</summary>
public sealed record EventLoopOptions
{
    private static int s_count;

    /// <summary>Name used in metrics (netpoll.owner.name) and engine events. Default: server-N.</summary>
    public string Name { get; init; } = $"server-{Interlocked.Increment(ref s_count)}";

    /// <summary>Number of pollers. Default: one per two cores (see docs/benchmarks.md for the measurement).</summary>
    public int Pollers { get; init; } = PollGroup.DefaultCount;

    /// <summary>How new connections are spread over the pollers.</summary>
    public LoadBalance LoadBalance { get; init; } = LoadBalance.RoundRobin;

    /// <summary>Refuse (close at once) connections beyond this many. Zero: no limit.</summary>
    public int MaxConnections { get; init; }

    /// <summary>Per-connection behaviour: timeouts, dispatch, backpressure marks.</summary>
    public ConnectionOptions Connection { get; init; } = new();

    /// <summary>The buffer pool's settings (the pool belongs to this server alone).</summary>
    public BufferPoolOptions BufferPool { get; init; } = new();

    /// <summary>
    /// The kernel API the pollers run on. <see cref="PollerBackendKind.Auto"/> picks io_uring where the kernel
    /// allows it and it was measured to win for the handler's dispatch mode, else epoll (kqueue on macOS).
    /// When io_uring is refused, epoll runs: <see cref="EventLoop.BackendInUse"/> and
    /// <see cref="EventLoop.BackendReason"/> say which runs and why.
    /// </summary>
    public PollerBackendKind Backend { get; init; } = PollerBackendKind.Auto;

    /// <summary>How the pollers set up io_uring when they run on it.</summary>
    public IoUringOptions IoUring { get; init; } = new();

    /// <summary>TLS on every accepted connection (certificates, SNI, ALPN, client certificates, tickets, handshake deadline). Null: plain TCP.</summary>
    public TlsServerOptions? Tls { get; init; }

    internal void Validate()
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(Name);
        if (Pollers < 1 || Pollers > 1024)
        {
            throw new ArgumentOutOfRangeException(nameof(Pollers), Pollers, "Pollers must be between 1 and 1024.");
        }

        if (MaxConnections < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxConnections), MaxConnections, "MaxConnections must be zero (no limit) or more.");
        }

        if (!Enum.IsDefined(LoadBalance))
        {
            throw new ArgumentOutOfRangeException(nameof(LoadBalance), LoadBalance, "LoadBalance must be RoundRobin, Random or LeastConnections.");
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
