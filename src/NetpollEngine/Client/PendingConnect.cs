using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Netpoll.Connections;
using Netpoll.Interop;
using Netpoll.Polling;
using Netpoll.Tls;

namespace Netpoll.Client;

/// <summary>
/// A non-blocking connect in flight on a poller: waits for writability, reads SO_ERROR, then turns
/// the fd into a registered <see cref="Connection"/>, and with TLS waits for its handshake. A deadline or
/// a cancellation fails it instead; whichever comes first wins, and the fd is closed exactly once on failure.
/// </summary>
internal sealed class PendingConnect : IPollable, IPollerTask
{
    private readonly Dialer _dialer;
    private readonly Poller _poller;
    private readonly EndPoint _remote;
    private readonly ConnectionHandler? _handler;
    private readonly TlsClientContext? _tls;
    private readonly long _dueMs;
    private readonly TimeSpan _timeout;
    private readonly TaskCompletionSource<Connection> _result = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _fd;
    private ulong _token;
    private bool _registered;
    private bool _done;
    private readonly bool _connectedAtOnce;
    private volatile bool _canceled;
    private Connection? _connection; // poller: the connection made from the fd, until it opens (its TLS handshake)

    public PendingConnect(Dialer dialer, Poller poller, int fd, EndPoint remote, ConnectionHandler? handler, TlsClientContext? tls, TimeSpan timeout, bool connectedAtOnce)
    {
        _dialer = dialer;
        _poller = poller;
        _fd = fd;
        _remote = remote;
        _handler = handler;
        _tls = tls;
        _timeout = timeout;
        _dueMs = timeout > TimeSpan.Zero ? Environment.TickCount64 + (long)timeout.TotalMilliseconds : 0;
        _connectedAtOnce = connectedAtOnce;
    }

    public Task<Connection> Task => _result.Task;

    public void Cancel()
    {
        _canceled = true;
        _poller.Post(this);
    }

    /// <summary>Poller task: first run registers for writability (or finishes at once); later runs handle cancellation.</summary>
    public void Run(Poller poller)
    {
        if (_done)
        {
            if (_canceled && _connection is { } handshaking &&
                _result.TrySetException(new OperationCanceledException($"Connect to {NativeSocket.Describe(_remote)} was canceled during the TLS handshake.")))
            {
                handshaking.Close();
            }

            return;
        }

        if (_canceled)
        {
            Fail(new OperationCanceledException($"Connect to {NativeSocket.Describe(_remote)} was canceled."));
            return;
        }

        if (_registered)
        {
            return;
        }

        if (_connectedAtOnce)
        {
            Complete();
            return;
        }

        try
        {
            _token = _poller.Register(_fd, this, Interest.Write);
            _registered = true;
        }
        catch (SocketException ex)
        {
            Fail(ex);
            return;
        }

        if (_dueMs != 0)
        {
            _poller.Schedule(this, _dueMs);
        }
    }

    public void OnReady(ReadyFlags flags)
    {
        if (_done)
        {
            return;
        }

        int error = NativeSocket.PendingError(_fd);
        if (error != 0)
        {
            Fail(SocketErrors.Create("connect", error, $"to {NativeSocket.Describe(_remote)}"));
            return;
        }

        if ((flags & (ReadyFlags.Writable | ReadyFlags.Error | ReadyFlags.Hangup)) != 0)
        {
            Complete();
        }
    }

    public void OnDeadline(long nowMs)
    {
        if (_done || nowMs < _dueMs)
        {
            return;
        }

        Fail(new TimeoutException($"Connect to {NativeSocket.Describe(_remote)} timed out after {_timeout.TotalMilliseconds:0} ms."));
    }

    private void Complete()
    {
        ConnectionTransform? transform;
        try
        {
            transform = _tls?.CreateTransform(_remote);
        }
        catch (InvalidOperationException ex)
        {
            Fail(ex); // OpenSSL could not make a session (out of memory): nothing was handed over yet
            return;
        }

        _done = true;
        if (_registered)
        {
            _poller.Unregister(_fd, _token);
        }

        int fd = _fd;
        _fd = -1;
        var connection = _dialer.CreateConnection(fd, _poller, _handler, _remote, transform);
        _connection = connection;
        connection.OnOpened = (c, error) =>
        {
            _connection = null;
            if (error is null)
            {
                _result.TrySetResult(c);
            }
            else
            {
                _result.TrySetException(error);
            }
        };
        Prepare(connection);
        connection.RegisterOnPoller();
    }

    /// <summary>
    /// The handler's OnPrepare, as on a server: on the poller, as soon as the TCP connect completed, before registration and
    /// any TLS handshake (a load generator times the connect here, not where the dialer's caller resumes on the ThreadPool).
    /// One that throws closes the connection, and the connect fails with what it threw.
    /// </summary>
    private void Prepare(Connection connection)
    {
        if (_handler is null)
        {
            return;
        }

        try
        {
            _handler.OnPrepare(connection);
        }
        catch (Exception ex)
        {
            Trace.TraceWarning($"netpoll: OnPrepare failed, closing connection {connection.Id} to {NativeSocket.Describe(_remote)}: {ex.Message}");
            _result.TrySetException(ex); // first: the close that follows reports only that the connection closed
            connection.RequestClose(CloseReason.HandlerError);
        }
    }

    private void Fail(Exception error)
    {
        _done = true;
        if (_registered)
        {
            _poller.Unregister(_fd, _token);
        }

        if (_fd >= 0)
        {
            _ = Libc.Close(_fd);
            _fd = -1;
        }

        _result.TrySetException(error);
    }
}
