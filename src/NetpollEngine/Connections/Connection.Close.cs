using System.Diagnostics;
using Netpoll.Interop;
using Netpoll.Polling;

namespace Netpoll.Connections;

/// <summary>
/// The one close path. Any trigger (peer FIN/RST, error, Close, timeout, shutdown) records a reason
/// and asks the poller; the poller unregisters, fails waiters and drops its fd reference exactly once;
/// the fd closes when the last in-flight syscall lets go; buffers go back when no handler runs.
/// </summary>
public sealed partial class Connection
{
    private bool _abortive;

    /// <summary>Closes the connection (asynchronously on its poller). Safe from any thread, any number of times.</summary>
    public void Close() => RequestClose(CloseReason.Local);

    /// <summary>Closes with a TCP reset instead of a FIN, discarding unsent output.</summary>
    public void Abort()
    {
        _abortive = true;
        RequestClose(CloseReason.Local);
    }

    /// <summary>Half-close: sends FIN after what was flushed; reading continues until the peer closes.</summary>
    public void ShutdownSend()
    {
        ThrowIfClosed("ShutdownSend");
        if (!TryAcquireIo())
        {
            throw ClosedException("ShutdownSend");
        }

        try
        {
            if (Libc.Shutdown(Fd, SocketConstants.SHUT_WR) < 0)
            {
                throw SocketErrors.Last("shutdown(SHUT_WR)");
            }
        }
        finally
        {
            ReleaseIo();
        }
    }

    internal void RequestClose(CloseReason reason)
    {
        if (Interlocked.CompareExchange(ref _closeRequested, 1, 0) != 0)
        {
            return;
        }

        _closeReason = reason;
        FailReaderIfStarved();
        QueuePollerTask();
    }

    /// <summary>Forced close at a shutdown deadline: reset, do not drain.</summary>
    internal void ForceClose()
    {
        _abortive = true;
        RequestClose(CloseReason.Shutdown);
    }

    private void RequestCloseOnPoller(CloseReason reason, int errno)
    {
        // A peer's reset is routine at scale (and is the close reason); only other errors are worth a line.
        if (errno != 0 && errno != Errno.ECONNRESET && errno != Errno.EPIPE)
        {
            Trace.TraceInformation($"netpoll connection {Id}: closing on socket error {errno}");
        }

        if (Interlocked.CompareExchange(ref _closeRequested, 1, 0) == 0)
        {
            _closeReason = reason;
        }

        CloseCore();
    }

    /// <summary>Runs once, on the poller thread.</summary>
    private void CloseCore()
    {
        Debug.Assert(Poller.IsPollerThread || !Poller.IsRunning, "CloseCore runs on the poller thread.");
        if (Interlocked.Exchange(ref _closed, 1) != 0)
        {
            return;
        }

        Poller.Unregister(Fd, Token);
        Poller.Counters.Registered--;
        Poller.Counters.Closed++;
        if (Interlocked.Exchange(ref _paused, 0) == 1)
        {
            Interlocked.Decrement(ref Poller.Counters.Paused);
        }

        if (_abortive)
        {
            NativeSocket.SetAbortiveClose(Fd);
        }
        else if (_output.Length > 0 && Interlocked.CompareExchange(ref _flushOwner, FlushBusy, FlushIdle) == FlushIdle)
        {
            // Last chance for output a handler flushed without waiting (OutputHighWaterMark > 0).
            WriteOutput();
            Volatile.Write(ref _flushOwner, FlushIdle);
        }

        // Only a pending wait needs the exception; most connections close with none and allocate nothing
        // here. A reader arming after this check sees _closeRequested and fails itself.
        Exception? closed = null;
        if (_readSignal is { IsWaiting: true } reader)
        {
            reader.TrySet(closed ??= ClosedException("Wait"));
        }

        if (Volatile.Read(ref _flushWaiters) is not null)
        {
            CompleteFlushWaiters(closed ?? ClosedException("Wait"));
        }
        ReleaseIo();

        if (Interlocked.CompareExchange(ref _dispatch, DispatchRetired, DispatchIdle) == DispatchIdle)
        {
            TryFreeBuffers();
        }

        bool peerInitiated = _closeReason is CloseReason.PeerClosed or CloseReason.Error;
        ThreadPool.UnsafeQueueUserWorkItem(static state => state.connection.RunCloseCallbacks(state.peerInitiated), (connection: this, peerInitiated), preferLocal: false);
    }

    private void RunCloseCallbacks(bool peerInitiated)
    {
        if (peerInitiated && _handler is not null)
        {
            try
            {
                _handler.OnDisconnect(this);
            }
            catch (Exception ex)
            {
                Trace.TraceWarning($"netpoll connection {Id}: OnDisconnect failed: {ex.Message}");
            }
        }

        Action<Connection>[] callbacks = [];
        if (Volatile.Read(ref _closeCallbacks) is { } registered)
        {
            lock (registered)
            {
                callbacks = [.. registered];
                registered.Clear();
            }
        }

        foreach (Action<Connection> callback in callbacks)
        {
            try
            {
                callback(this);
            }
            catch (Exception ex)
            {
                Trace.TraceWarning($"netpoll connection {Id}: close callback failed: {ex.Message}");
            }
        }

        _owner.OnConnectionClosed(this);
    }

    /// <summary>Takes a reference on the fd for a syscall; false once the connection closed.</summary>
    private bool TryAcquireIo()
    {
        while (true)
        {
            int refs = Volatile.Read(ref _ioRefs);
            if ((refs & FdClosedBit) != 0 || Volatile.Read(ref _closed) != 0)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref _ioRefs, refs + 1, refs) == refs)
            {
                return true;
            }
        }
    }

    /// <summary>Drops a reference; the last one after close closes the fd.</summary>
    private void ReleaseIo()
    {
        if (Interlocked.Decrement(ref _ioRefs) == 0 && Interlocked.CompareExchange(ref _ioRefs, FdClosedBit, 0) == 0)
        {
            _ = Libc.Close(Fd);
            TryFreeBuffers();
        }
    }

    /// <summary>Returns both buffers to the pool once the fd is closed and no handler can touch them.</summary>
    private void TryFreeBuffers()
    {
        if ((Volatile.Read(ref _ioRefs) & FdClosedBit) == 0 || Volatile.Read(ref _dispatch) != DispatchRetired && _handler is not null)
        {
            return;
        }

        if (Interlocked.Exchange(ref _buffersFreed, 1) != 0)
        {
            return;
        }

        lock (_writeGate)
        {
            _input.Dispose();
            _output.Dispose();
        }
    }

    private void ThrowIfClosed(string operation)
    {
        if (Volatile.Read(ref _closeRequested) != 0)
        {
            throw ClosedException(operation);
        }
    }

    private ConnectionClosedException ClosedException(string operation) =>
        new(_closeReason, $"{operation} on connection {Id}: the connection is closed ({_closeReason}).");
}
