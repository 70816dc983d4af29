using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Netpoll.Buffers;
using Netpoll.Connections;
using Netpoll.Diagnostics;
using Netpoll.Interop;
using Netpoll.Polling;

namespace Netpoll.Server;

/// <summary>
/// netpoll's EventLoop: serves listeners on its own <see cref="PollGroup"/> and runs a
/// <see cref="ConnectionHandler"/> for every connection. Owns its pollers, buffer pool and options.
/// </summary>
/// <example>
/// <code>
/// await using var loop = new EventLoop(async c => { var r = c.Reader; c.Writer.WriteBinary(r.Next(r.Length).Span); await c.Writer.FlushAsync(); });
/// using var listener = NetpollListener.Create(0);
/// Task serving = loop.ServeAsync(listener);
/// ...
/// await loop.ShutdownAsync(TimeSpan.FromSeconds(5));
/// </code>
/// </example>
public sealed class EventLoop : IConnectionOwner, IAsyncDisposable
{
    private readonly ConnectionHandler _handler;
    private readonly EventLoopOptions _options;
    private readonly ConcurrentDictionary<long, Connection> _connections = new();
    private readonly List<(Acceptor Acceptor, NetpollListener Listener)> _acceptors = [];
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _gate = new();
    private readonly BufferPool _pool;
    private PollGroup? _group;
    private TaskCompletionSource? _drained;
    private int _state;
    private long _rejected;

    public EventLoop(ConnectionHandler handler, EventLoopOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(handler);
        options ??= new EventLoopOptions();
        options.Validate();
        _handler = handler;
        _options = options;
        _pool = new BufferPool(options.BufferPool);
    }

    public EventLoop(Func<Connection, ValueTask> onRequest, EventLoopOptions? options = null)
        : this(new DelegateHandler(onRequest ?? throw new ArgumentNullException(nameof(onRequest))), options)
    {
    }

    public EventLoopState State => (EventLoopState)Volatile.Read(ref _state);

    public EventLoopOptions Options => _options;

    /// <summary>Where this server's handler runs: the options' mode with Auto resolved for the handler.</summary>
    public DispatchMode Dispatch => _options.Connection.ResolveDispatch(_handler);

    /// <summary>The server's name (metrics attribute netpoll.owner.name, engine events).</summary>
    public string Name => _options.Name;

    /// <summary>Connections currently open.</summary>
    public int ConnectionCount => _connections.Count;

    /// <summary>Connections refused because <see cref="EventLoopOptions.MaxConnections"/> was reached.</summary>
    public long RejectedConnections => Volatile.Read(ref _rejected);

    /// <summary>The listeners being served.</summary>
    public IReadOnlyList<EndPoint> EndPoints
    {
        get
        {
            lock (_gate)
            {
                return [.. _acceptors.Select(a => a.Listener.LocalEndPoint)];
            }
        }
    }

    /// <summary>Raised (off the poller thread) when accept backs off because the process is out of fds.</summary>
    public event EventHandler<AcceptBackoffEventArgs>? AcceptBackoff;

    BufferPool IConnectionOwner.Pool => _pool;

    ConnectionOptions IConnectionOwner.Options => _options.Connection;

    bool IConnectionOwner.IsShuttingDown => Volatile.Read(ref _state) >= (int)EventLoopState.ShuttingDown;

    /// <summary>
    /// Starts serving <paramref name="listener"/> and returns at once. The task completes when the
    /// loop has shut down. The loop takes ownership of the listener and closes it at shutdown.
    /// </summary>
    public Task ServeAsync(NetpollListener listener)
    {
        ArgumentNullException.ThrowIfNull(listener);
        lock (_gate)
        {
            if (_state >= (int)EventLoopState.ShuttingDown)
            {
                throw new InvalidOperationException("The event loop is shutting down or stopped; create a new one to serve again.");
            }

            _group ??= new PollGroup(_options.Pollers, _options.LoadBalance, _options.Name);
            _state = (int)EventLoopState.Serving;
            var acceptor = new Acceptor(this, listener, _group.Pollers[_acceptors.Count % _group.Pollers.Count]);
            _acceptors.Add((acceptor, listener));
            acceptor.Start();
            NetpollEventSource.Log.ServerStarted(Name, listener.LocalEndPoint.ToString() ?? "", _group.Pollers.Count);
        }

        return _stopped.Task;
    }

    /// <summary>A snapshot of every poller's counters.</summary>
    public IReadOnlyList<PollerStats> GetStats()
    {
        PollGroup? group = _group;
        return group is null ? [] : [.. group.Pollers.Select(p => p.Snapshot())];
    }

    /// <summary>The buffer pool's counters (memory held by this server).</summary>
    public BufferPoolStatistics GetBufferStatistics() => _pool.GetStatistics();

    /// <summary>The connections open right now.</summary>
    public IReadOnlyCollection<Connection> GetConnections() => [.. _connections.Values];

    /// <summary>
    /// Stops accepting, closes idle connections, lets running handlers finish and closes their
    /// connections when they go idle; at <paramref name="timeout"/> resets whatever remains. Then stops
    /// the pollers and frees every buffer.
    /// </summary>
    public Task ShutdownAsync(TimeSpan timeout)
    {
        if (timeout < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(timeout), timeout, "The shutdown timeout must be zero or positive.");
        }

        return ShutdownCoreAsync(timeout, CancellationToken.None);
    }

    /// <summary>Shuts down gracefully until <paramref name="cancellationToken"/> fires, then forcibly.</summary>
    public Task ShutdownAsync(CancellationToken cancellationToken) =>
        ShutdownCoreAsync(Timeout.InfiniteTimeSpan, cancellationToken);

    public ValueTask DisposeAsync() => new(ShutdownAsync(TimeSpan.FromSeconds(5)));

    internal void OnAccepted(int fd, NetpollListener listener)
    {
        if (Volatile.Read(ref _state) >= (int)EventLoopState.ShuttingDown)
        {
            _ = Libc.Close(fd);
            return;
        }

        if (_options.MaxConnections > 0 && _connections.Count >= _options.MaxConnections)
        {
            Interlocked.Increment(ref _rejected);
            NativeSocket.SetAbortiveClose(fd);
            _ = Libc.Close(fd);
            return;
        }

        if (!listener.IsUnix && _options.Connection.NoDelay)
        {
            NativeSocket.SetNoDelay(fd);
        }

        Poller target = _group!.Pick();
        var connection = new Connection(fd, target, this, _handler, listener.LocalEndPoint);
        _connections[connection.Id] = connection;
        try
        {
            _handler.OnPrepare(connection);
        }
        catch (Exception ex)
        {
            Trace.TraceWarning($"netpoll: OnPrepare failed, closing connection {connection.Id}: {ex.Message}");
            connection.RequestClose(CloseReason.HandlerError);
        }

        connection.StartRegistration();
    }

    internal void OnAcceptBackoff(NetpollListener listener, int errno, int backoffMs)
    {
        NetpollEventSource.Log.AcceptBackoff(Name, listener.LocalEndPoint.ToString() ?? "", SocketErrors.ToSocketError(errno).ToString(), backoffMs);
        EventHandler<AcceptBackoffEventArgs>? handler = AcceptBackoff;
        if (handler is not null)
        {
            var args = new AcceptBackoffEventArgs(listener.LocalEndPoint, SocketErrors.ToSocketError(errno), TimeSpan.FromMilliseconds(backoffMs));
            ThreadPool.UnsafeQueueUserWorkItem(static s => s.handler(s.loop, s.args), (handler, loop: this, args), preferLocal: false);
        }
    }

    void IConnectionOwner.OnConnectionClosed(Connection connection)
    {
        _connections.TryRemove(connection.Id, out _);
        if (_connections.IsEmpty)
        {
            Volatile.Read(ref _drained)?.TrySetResult();
        }
    }

    private Task ShutdownCoreAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (_state >= (int)EventLoopState.ShuttingDown)
            {
                return _stopped.Task; // stopped, or someone else is shutting down
            }

            _state = (int)EventLoopState.ShuttingDown;
            _drained = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        return DrainAndStopAsync(_drained, timeout, cancellationToken);
    }

    private async Task DrainAndStopAsync(TaskCompletionSource drained, TimeSpan timeout, CancellationToken cancellationToken)
    {
        long shutdownStarted = Stopwatch.GetTimestamp();
        int forcedCloses = 0;
        foreach ((Acceptor acceptor, NetpollListener _) in _acceptors)
        {
            acceptor.Stop();
        }

        // Idle connections close now; busy ones close when their handler goes idle.
        foreach (Connection connection in _connections.Values)
        {
            if (connection.IsIdle)
            {
                connection.RequestClose(CloseReason.Shutdown);
            }
        }

        if (_connections.IsEmpty)
        {
            drained.TrySetResult();
        }

        using (var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            if (timeout != Timeout.InfiniteTimeSpan)
            {
                deadline.CancelAfter(timeout);
            }

            try
            {
                await drained.Task.WaitAsync(deadline.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                foreach (Connection connection in _connections.Values)
                {
                    connection.ForceClose();
                    forcedCloses++;
                }

                // Forced closes take one poller turn each; bound the wait anyway.
                await Task.WhenAny(drained.Task, Task.Delay(TimeSpan.FromSeconds(2), CancellationToken.None)).ConfigureAwait(false);
            }
        }

        if (_group is not null)
        {
            await _group.StopAsync().ConfigureAwait(false);
        }

        foreach ((Acceptor _, NetpollListener listener) in _acceptors)
        {
            listener.Dispose();
        }

        _pool.Dispose();
        lock (_gate)
        {
            _state = (int)EventLoopState.Stopped;
        }

        if (_acceptors.Count > 0)
        {
            NetpollEventSource.Log.ServerStopped(Name, (long)Stopwatch.GetElapsedTime(shutdownStarted).TotalMilliseconds, forcedCloses);
        }

        _stopped.TrySetResult();
    }
}
