using System.Net;
using System.Net.Sockets;
using Netpoll.Buffers;
using Netpoll.Connections;
using Netpoll.Diagnostics;
using Netpoll.Interop;
using Netpoll.Polling;
using Netpoll.Server;
using Netpoll.Tls;

namespace Netpoll.Client;

/// <summary>
/// Opens client connections with a non-blocking connect and a timeout, over TCP (IPv4/IPv6) or Unix
/// sockets. Its connections run on its own pollers with the same Reader/Writer API as a server's.
/// </summary>
public sealed class Dialer : IDisposable, IAsyncDisposable
{
    private readonly DialerOptions _options;
    private readonly ConnectionHost _host;
    private readonly TlsClientContext? _tls;
    private int _disposed;

    // RLIMIT_NOFILE soft less FdReserve.Size: a socket at or above it would leave the process fewer fds than the runtime
    // needs to start a thread or load an assembly, so the dial fails as EMFILE instead. Re-read when a socket reaches it.
    private int _fdCeiling = FdCeiling();

    /// <exception cref="ArgumentException">Bad options, including TLS options (an unusable client certificate, a bad protocol name).</exception>
    /// <exception cref="PlatformNotSupportedException"><see cref="DialerOptions.Tls"/> is set and OpenSSL 3 cannot be loaded.</exception>
    public Dialer(DialerOptions? options = null)
    {
        options ??= new DialerOptions();
        options.Validate();
        _options = options;
        BackendChoice backend = BackendSelection.Resolve(options.Backend, options.IoUring, options.Connection.Dispatch == DispatchMode.Inline);
        _tls = options.Tls is null ? null : new TlsClientContext(options.Tls);
        if (_tls is not null)
        {
            backend = BackendSelection.ForTransform(options.Backend, backend);
        }

        _host = new ConnectionHost(options.Name, options.Pollers, options.LoadBalance, backend, options.Connection, options.BufferPool, options.PublishesMetrics);
        _ = _host.Pollers; // a dialer's pollers run from the start
    }

    public DialerOptions Options => _options;

    /// <summary>The kernel API the pollers run on (never Auto): the one asked for, or epoll where io_uring was refused.</summary>
    public PollerBackendKind BackendInUse => _host.Backend.Kind;

    /// <summary>Why the pollers run on <see cref="BackendInUse"/>: what was asked for, what Auto chose, or why io_uring was refused.</summary>
    public string BackendReason => _host.Backend.Reason;

    /// <summary>Connections of this dialer still open.</summary>
    public int ConnectionCount => _host.ConnectionCount;

    public IReadOnlyList<PollerStats> GetStats() => _host.GetStats();

    /// <summary>The buffer pool's counters (memory held by this dialer's connections).</summary>
    public BufferPoolStatistics GetBufferStatistics() => _host.Pool.GetStatistics();

    /// <summary>
    /// Connects to <paramref name="remote"/>. With a <paramref name="handler"/>, input is dispatched to
    /// it as on a server; without one, read with <see cref="ConnectionReader.WaitAsync"/> and friends.
    /// With <see cref="DialerOptions.Tls"/>, the task completes once the TLS handshake has completed and
    /// the server's certificate was accepted; the reader and writer then carry plaintext.
    /// </summary>
    /// <param name="remote">Where to connect.</param>
    /// <param name="handler">Optional handler for incoming data.</param>
    /// <param name="localEndPoint">Optional source address to bind first (e.g. 127.0.0.2 to widen the port space).</param>
    /// <param name="timeout">Overrides <see cref="DialerOptions.DialTimeout"/>.</param>
    /// <param name="cancellationToken">Cancels the connect.</param>
    /// <exception cref="SocketException">Refused, unreachable, no free port, ... (the message names the target).</exception>
    /// <exception cref="TimeoutException">The connect took longer than the timeout, or the TLS handshake longer than <see cref="TlsClientOptions.HandshakeTimeout"/>.</exception>
    /// <exception cref="System.Security.Authentication.AuthenticationException">The TLS handshake failed: the message says why (the server's certificate was rejected, no common protocol, the server closed the connection).</exception>
    public Task<Connection> ConnectAsync(
        EndPoint remote,
        ConnectionHandler? handler = null,
        EndPoint? localEndPoint = null,
        TimeSpan? timeout = null,
        CancellationToken cancellationToken = default) =>
        ConnectCoreAsync(null, remote, handler, localEndPoint, timeout, cancellationToken);

    /// <summary>
    /// <see cref="ConnectAsync"/>, but the new connection runs on the poller thread that serves
    /// <paramref name="alongside"/> (a connection of any server or dialer in this process), not on this
    /// dialer's pollers: one thread then serves both, so moving bytes between them never wakes another
    /// thread (a proxy's client and upstream). Its buffers, options, handler dispatch and close are still
    /// this dialer's.
    /// </summary>
    /// <param name="alongside">The connection whose poller serves the new one (open or not). Its owner (server or
    /// dialer) must keep its pollers running while the new connection is open: dispose this dialer first.</param>
    /// <param name="remote">Where to connect.</param>
    /// <param name="handler">Optional handler for incoming data.</param>
    /// <param name="timeout">Overrides <see cref="DialerOptions.DialTimeout"/>.</param>
    /// <param name="cancellationToken">Cancels the connect.</param>
    /// <exception cref="SocketException">Refused, unreachable, no free port, ... (the message names the target).</exception>
    /// <exception cref="TimeoutException">The connect took longer than the timeout, or the TLS handshake longer than <see cref="TlsClientOptions.HandshakeTimeout"/>.</exception>
    /// <exception cref="System.Security.Authentication.AuthenticationException">The TLS handshake failed (see <see cref="ConnectAsync"/>).</exception>
    public Task<Connection> ConnectAlongsideAsync(
        Connection alongside,
        EndPoint remote,
        ConnectionHandler? handler = null,
        TimeSpan? timeout = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(alongside);
        return ConnectCoreAsync(alongside, remote, handler, null, timeout, cancellationToken);
    }

    private async Task<Connection> ConnectCoreAsync(
        Connection? alongside,
        EndPoint remote,
        ConnectionHandler? handler,
        EndPoint? localEndPoint,
        TimeSpan? timeout,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(remote);

        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        cancellationToken.ThrowIfCancellationRequested();
        TimeSpan limit = timeout ?? _options.DialTimeout;
        if (limit < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(timeout), limit, "The dial timeout must be zero (no limit) or positive.");
        }

        int fd = NativeSocket.CreateStream(remote);
        if (fd >= Volatile.Read(ref _fdCeiling) && fd >= (_fdCeiling = FdCeiling()))
        {
            // Sockets take the lowest free fd, so one this high means fewer than FdReserve.Size are left: a load generator
            // sharing the process with a server would otherwise take the fds the server's shedding freed, and the
            // runtime's next thread start or assembly load fails ("Out of memory.", a FileNotFoundException).
            _ = Libc.Close(fd);
            throw SocketErrors.Create("socket", Errno.EMFILE, $"for {remote} (the process keeps its last {FdReserve.Size} fds for the runtime)");
        }

        bool connectedAtOnce;
        try
        {
            if (localEndPoint is not null)
            {
                if (localEndPoint is IPEndPoint { Port: 0 } && OperatingSystem.IsLinux())
                {
                    // Without this, bind picks a port by scanning every bound one: connects slow to a
                    // crawl after ~14k, and each source address could only use each port once.
                    NativeSocket.SetInt(fd, SocketConstants.IPPROTO_IP, SocketConstants.IP_BIND_ADDRESS_NO_PORT, 1);
                }
                else if (localEndPoint is IPEndPoint)
                {
                    NativeSocket.SetInt(fd, SocketConstants.SOL_SOCKET, SocketConstants.SO_REUSEADDR, 1);
                }

                NativeSocket.Bind(fd, localEndPoint);
            }

            if (remote is not UnixDomainSocketEndPoint && _options.Connection.NoDelay)
            {
                NativeSocket.SetNoDelay(fd);
            }

            int errno = NativeSocket.StartConnect(fd, remote);
            if (errno != 0 && errno != Errno.EINPROGRESS && errno != Errno.EAGAIN)
            {
                throw SocketErrors.Create("connect", errno, $"to {NativeSocket.Describe(remote)}");
            }

            connectedAtOnce = errno == 0;
        }
        catch
        {
            _ = Libc.Close(fd);
            throw;
        }

        Poller poller = alongside?.Poller ?? _host.Pollers.Pick();
        var pending = new PendingConnect(this, poller, fd, remote, handler, _tls, limit, connectedAtOnce);
        poller.Post(pending);
        using (cancellationToken.UnsafeRegister(static p => ((PendingConnect)p!).Cancel(), pending))
        {
            return await pending.Task.ConfigureAwait(false);
        }
    }

    /// <summary>Closes every connection and stops the pollers without blocking a thread.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        // A dialer's connections are the application's: close them all now; reset what is left after 2 s.
        await _host.ShutdownAsync(graceful: false, TimeSpan.FromSeconds(2), CancellationToken.None).ConfigureAwait(false);
        _tls?.Dispose();
    }

    /// <summary>Synchronous <see cref="DisposeAsync"/>, for code that cannot await; blocks the calling thread.</summary>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    private static int FdCeiling() =>
        Libc.OpenFileSoftLimit() is ulong soft ? (int)Math.Min(soft - Math.Min(soft, (ulong)FdReserve.Size), int.MaxValue) : int.MaxValue;

    internal Connection CreateConnection(int fd, Poller poller, ConnectionHandler? handler, EndPoint remote, ConnectionTransform? transform) =>
        _host.Add(fd, poller, handler, remote, transform);
}
