using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Netpoll.Buffers;
using Netpoll.Connections;
using Netpoll.Diagnostics;
using Netpoll.Interop;
using Netpoll.Polling;
using Netpoll.Tls;

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
public sealed class EventLoop : IAsyncDisposable
{
    private readonly ConnectionHandler _handler;
    private readonly EventLoopOptions _options;
    private readonly List<(Acceptor Acceptor, NetpollListener Listener)> _acceptors = [];
    private FdReserve.Lease? _fdReserve; // held from the first listener served until the listeners close at shutdown
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _gate = new();
    private readonly ConnectionHost _host;
    private readonly TlsServerContext? _tls;
    private int _state;
    private long _rejected;

    /// <exception cref="ArgumentException">Bad options, including TLS options (a certificate without a private key, a bad protocol name).</exception>
    /// <exception cref="PlatformNotSupportedException"><see cref="EventLoopOptions.Tls"/> is set and OpenSSL 3 cannot be loaded.</exception>
    public EventLoop(ConnectionHandler handler, EventLoopOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(handler);
        options ??= new EventLoopOptions();
        options.Validate();
        _handler = handler;
        _options = options;
        bool inline = options.Connection.ResolveDispatch(handler) == DispatchMode.Inline;
        BackendChoice backend = BackendSelection.Resolve(options.Backend, options.IoUring, inline);
        _tls = options.Tls is null ? null : new TlsServerContext(options.Tls);
        if (_tls is not null)
        {
            backend = BackendSelection.ForTransform(options.Backend, backend);
        }

        _host = new ConnectionHost(options.Name, options.Pollers, options.LoadBalance, backend, options.Connection, options.BufferPool);
    }

    public EventLoop(Func<Connection, ValueTask> onRequest, EventLoopOptions? options = null)
        : this(new DelegateHandler(onRequest ?? throw new ArgumentNullException(nameof(onRequest))), options)
    {
    }

    public EventLoopState State => (EventLoopState)Volatile.Read(ref _state);

    public EventLoopOptions Options => _options;

    /// <summary>Where this server's handler runs: the options' mode with Auto resolved for the handler.</summary>
    public DispatchMode Dispatch => _options.Connection.ResolveDispatch(_handler);

    /// <summary>The kernel API the pollers run on (never Auto): the one asked for, or epoll where io_uring was refused.</summary>
    public PollerBackendKind BackendInUse => _host.Backend.Kind;

    /// <summary>Why the pollers run on <see cref="BackendInUse"/>: what was asked for, what Auto chose, or why io_uring was refused.</summary>
    public string BackendReason => _host.Backend.Reason;

    /// <summary>The server's name (metrics attribute netpoll.owner.name, engine events).</summary>
    public string Name => _options.Name;

    /// <summary>Connections currently open.</summary>
    public int ConnectionCount => _host.ConnectionCount;

    /// <summary>The TLS context of this server's connections, or null without TLS (tests count its live SSL objects).</summary>
    internal TlsServerContext? TlsContext => _tls;

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

            IReadOnlyList<Poller> pollers = _host.Pollers.Pollers;
            _state = (int)EventLoopState.Serving;
            _fdReserve ??= FdReserve.Acquire();
            var acceptor = new Acceptor(this, listener, pollers[_acceptors.Count % pollers.Count]);
            _acceptors.Add((acceptor, listener));
            acceptor.Start();
            NetpollEventSource.Log.ServerStarted(Name, listener.LocalEndPoint.ToString() ?? "", pollers.Count);
        }

        return _stopped.Task;
    }

    /// <summary>
    /// Stops accepting on every listener served: connections the kernel already completed are accepted and
    /// served, then the sockets stop listening, so connection attempts are refused (on a platform that cannot
    /// stop a socket listening, each accepted connection is reset at once instead). Open connections are untouched.
    /// </summary>
    public Task PauseAcceptingAsync() => SetAcceptingAsync(false);

    /// <summary>Accepts again after <see cref="PauseAcceptingAsync"/>, on the same addresses and ports.</summary>
    /// <exception cref="SocketException">A port was taken by another socket meanwhile.</exception>
    public Task ResumeAcceptingAsync() => SetAcceptingAsync(true);

    /// <summary>A snapshot of every poller's counters.</summary>
    public IReadOnlyList<PollerStats> GetStats() => _host.GetStats();

    /// <summary>The buffer pool's counters (memory held by this server).</summary>
    public BufferPoolStatistics GetBufferStatistics() => _host.Pool.GetStatistics();

    /// <summary>The connections open right now.</summary>
    public IReadOnlyCollection<Connection> GetConnections() => _host.Connections;

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

    private Task SetAcceptingAsync(bool accepting)
    {
        Acceptor[] acceptors;
        lock (_gate)
        {
            if (_state >= (int)EventLoopState.ShuttingDown)
            {
                return Task.CompletedTask; // shutting down: the listeners are closing anyway
            }

            acceptors = [.. _acceptors.Select(a => a.Acceptor)];
        }

        return Task.WhenAll(acceptors.Select(a => a.SetAcceptingAsync(accepting)));
    }

    /// <summary>False, with the fd reset, when the server has its MaxConnections open: the acceptor counts it rejected, not accepted.</summary>
    internal bool Admits(int fd)
    {
        if (_options.MaxConnections > 0 && _host.ConnectionCount >= _options.MaxConnections)
        {
            Interlocked.Increment(ref _rejected);
            NativeSocket.Reset(fd);
            return false;
        }

        return true;
    }

    internal void OnAccepted(int fd, NetpollListener listener)
    {
        if (Volatile.Read(ref _state) >= (int)EventLoopState.ShuttingDown)
        {
            _ = Libc.Close(fd);
            return;
        }

        if (!listener.IsUnix && _options.Connection.NoDelay)
        {
            NativeSocket.SetNoDelay(fd);
        }

        ConnectionTransform? transform = null;
        if (_tls is not null && !_tls.TryCreateTransform(out transform))
        {
            _ = Libc.Close(fd); // OpenSSL could not make a session (out of memory): refuse this one, keep serving
            return;
        }

        Connection connection = _host.Add(fd, _host.Pollers.Pick(), _handler, listener.LocalEndPoint, transform);
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

    private Task ShutdownCoreAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (_state >= (int)EventLoopState.ShuttingDown)
            {
                return _stopped.Task; // stopped, or someone else is shutting down
            }

            _state = (int)EventLoopState.ShuttingDown;
        }

        return DrainAndStopAsync(timeout, cancellationToken);
    }

    private async Task DrainAndStopAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        long shutdownStarted = Stopwatch.GetTimestamp();
        foreach ((Acceptor acceptor, NetpollListener _) in _acceptors)
        {
            acceptor.Stop();
        }

        int forcedCloses = await _host.ShutdownAsync(graceful: true, timeout, cancellationToken).ConfigureAwait(false);
        foreach ((Acceptor _, NetpollListener listener) in _acceptors)
        {
            listener.Dispose();
        }

        _fdReserve?.Dispose();
        _tls?.Dispose();
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
