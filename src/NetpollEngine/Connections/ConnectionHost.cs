using System.Net;
using Netpoll.Buffers;
using Netpoll.Diagnostics;
using Netpoll.Polling;

namespace Netpoll.Connections;

/// <summary>
/// What a server and a dialer each own for their connections: the pollers (started on first use), the
/// buffer pool, the options, the set of open connections, and the one way they all end. A connection
/// reaches its owner only through this type.
/// </summary>
internal sealed class ConnectionHost
{
    private readonly OpenConnections _connections = new();
    private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _gate = new();
    private readonly int _pollerCount;
    private readonly LoadBalance _loadBalance;
    private readonly BackendChoice _backend;
    private readonly bool _metered;
    private PollGroup? _pollers;
    private int _shuttingDown;

    public ConnectionHost(string name, int pollers, LoadBalance loadBalance, BackendChoice backend, ConnectionOptions options, BufferPoolOptions bufferPool, bool metered = true)
    {
        Name = name;
        Options = options;
        Pool = new BufferPool(bufferPool);
        _pollerCount = pollers;
        _loadBalance = loadBalance;
        _metered = metered;
        _backend = backend;
    }

    /// <summary>The backend the pollers run on and why: the one chosen, until started pollers had to fall back.</summary>
    public BackendChoice Backend => Volatile.Read(ref _pollers)?.Backend ?? _backend;

    /// <summary>The server's or dialer's name (metrics and events).</summary>
    public string Name { get; }

    public BufferPool Pool { get; }

    public ConnectionOptions Options { get; }

    /// <summary>Shutdown has begun: connections close when their handler goes idle, and no new ones are kept.</summary>
    public bool IsShuttingDown => Volatile.Read(ref _shuttingDown) != 0;

    /// <summary>The pollers, started by the first caller.</summary>
    public PollGroup Pollers
    {
        get
        {
            if (Volatile.Read(ref _pollers) is { } started)
            {
                return started;
            }

            lock (_gate)
            {
                return _pollers ??= new PollGroup(_pollerCount, _loadBalance, _backend, Name, _metered);
            }
        }
    }

    public int ConnectionCount => _connections.Count;

    public IReadOnlyCollection<Connection> Connections => _connections.Snapshot();

    /// <summary>A snapshot of every poller's counters; none before the pollers started.</summary>
    public IReadOnlyList<PollerStats> GetStats() => Volatile.Read(ref _pollers) is { } group ? [.. group.Pollers.Select(p => p.Snapshot())] : [];

    /// <summary>A connection for an accepted or connected fd, on <paramref name="poller"/>, with an optional transform (TLS); the caller starts its registration.</summary>
    public Connection Add(int fd, Poller poller, ConnectionHandler? handler, EndPoint endPointTemplate, ConnectionTransform? transform = null)
    {
        var connection = new Connection(fd, poller, this, handler, endPointTemplate, transform);
        _connections.Add(connection);
        return connection;
    }

    /// <summary>Called once per connection by its close path, after the fd closed and the callbacks ran.</summary>
    public void OnConnectionClosed(Connection connection)
    {
        _connections.Remove(connection);
        if (_connections.IsEmpty && IsShuttingDown)
        {
            _drained.TrySetResult();
        }
    }

    /// <summary>
    /// Ends every connection, then stops the pollers and frees the pool. Graceful: idle connections close
    /// now, busy ones when their handler goes idle; otherwise all close now. Whatever is still open at
    /// <paramref name="timeout"/> (or when <paramref name="cancellationToken"/> fires) is reset. Returns how
    /// many were reset.
    /// </summary>
    public async Task<int> ShutdownAsync(bool graceful, TimeSpan timeout, CancellationToken cancellationToken)
    {
        Volatile.Write(ref _shuttingDown, 1);
        int forced = 0;
        foreach (Connection connection in _connections.Snapshot())
        {
            if (!graceful)
            {
                connection.CloseWithoutDrain(CloseReason.Shutdown); // "all close now": no wait for a flush under way
            }
            else if (connection.IsIdle)
            {
                connection.RequestClose(CloseReason.Shutdown);
            }
        }

        if (_connections.IsEmpty)
        {
            _drained.TrySetResult();
        }

        using (var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            if (timeout != Timeout.InfiniteTimeSpan)
            {
                deadline.CancelAfter(timeout);
            }

            try
            {
                await _drained.Task.WaitAsync(deadline.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                foreach (Connection connection in _connections.Snapshot())
                {
                    connection.ForceClose();
                    forced++;
                }

                // Forced closes take one poller turn each; bound the wait anyway.
                await Task.WhenAny(_drained.Task, Task.Delay(TimeSpan.FromSeconds(2), CancellationToken.None)).ConfigureAwait(false);
            }
        }

        PollGroup? pollers;
        lock (_gate)
        {
            pollers = _pollers;
        }

        if (pollers is not null)
        {
            await pollers.StopAsync().ConfigureAwait(false);
        }

        Pool.Dispose();
        return forced;
    }
}
