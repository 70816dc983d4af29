using System.Diagnostics;
using Netpoll.Interop;
using Netpoll.Diagnostics;

namespace Netpoll.Connections;

/// <summary>
/// The one close path. Any trigger (peer FIN/RST, socket error, Close, Abort, a deadline, a handler
/// failure, shutdown) asks through <see cref="ConnectionLifecycle.TryRequestClose"/>, which records
/// the first reason; the poller then runs <see cref="RunClosePath"/>, exactly once. The fd closes when
/// its last user lets go (<see cref="ReleaseIo"/>: the reactor, a flush in flight, or on a completion
/// backend the ring once its operations' last completion came); the buffers go back when both the fd and
/// the dispatcher let go of them (<see cref="FreeBuffersIfLast"/>).
/// </summary>
public sealed partial class Connection
{
    /// <summary>Closes the connection (asynchronously on its poller). Safe from any thread, any number of times.</summary>
    public void Close() => RequestClose(CloseReason.Local);

    /// <summary>Closes with a TCP reset instead of a FIN, discarding unsent output.</summary>
    public void Abort()
    {
        _lifecycle.MarkAbortive();
        RequestClose(CloseReason.Local);
    }

    /// <summary>
    /// True while output is not yet acknowledged by the peer: unsent in the connection's buffer, or in
    /// the kernel's send queue (TCP_INFO on Linux, SO_NWRITE on macOS). False once the peer has it all,
    /// once closed, or where the kernel cannot tell (a Unix socket). What is unacknowledged when
    /// <see cref="Abort"/> resets the connection is lost: wait for this to turn false first to reset
    /// only after a complete delivery.
    /// </summary>
    public bool HasUnacknowledgedOutput
    {
        get
        {
            if (_output.Length + (_transform?.RawOutput.Length ?? 0) > 0 && !_lifecycle.IsClosing)
            {
                return true;
            }

            if (!_lifecycle.TryAcquireIo())
            {
                return false;
            }

            try
            {
                return NativeSocket.HasUnacknowledgedOutput(Fd);
            }
            finally
            {
                ReleaseIo();
            }
        }
    }

    /// <summary>
    /// Half-close: sends FIN after what was flushed; reading continues until the peer closes. The FIN waits for
    /// the output to drain: a flush still under way (a ring send in flight, or a socket that was full) sends it
    /// when it has written the last byte, so a response flushed just before is never cut off. Over TLS the FIN
    /// follows a close_notify (RFC 8446 §6.1), so the peer reads a clean end of stream, not a truncation.
    /// </summary>
    public void ShutdownSend()
    {
        ThrowIfClosed("ShutdownSend");
        if (_lifecycle.TryRequestShutdownSend()
            && !ShutdownSendIfDrained(out int errno))
        {
            throw errno == 0 ? ClosedException("ShutdownSend") : SocketErrors.Create("shutdown(SHUT_WR)", errno);
        }
    }

    /// <summary>
    /// Sends the FIN a <see cref="ShutdownSend"/> asked for if the output is drained and no flush runs; else the
    /// flush that drains it calls again. False with errno 0: the connection is closing (its close ends sending).
    /// </summary>
    private bool ShutdownSendIfDrained() => ShutdownSendIfDrained(out _);

    private bool ShutdownSendIfDrained(out int errno)
    {
        errno = 0;
        if (!_lifecycle.TryAcquireIo())
        {
            return false;
        }

        try
        {
            // Taking the flush (a CAS, a full fence after the request's CAS) keeps a flusher from writing after the FIN.
            if (!OutputDrained() || Interlocked.CompareExchange(ref _flushOwner, FlushBusy, FlushIdle) != FlushIdle)
            {
                return true; // the owner of the flush sends it once the output is empty
            }

            bool closingBytes = false;
            try
            {
                if (OutputDrained())
                {
                    closingBytes = EncodeShutdown();
                    if (!closingBytes
                        && _lifecycle.TryMarkShutdownSendDone()
                        && Libc.Shutdown(Fd, SocketConstants.SHUT_WR) < 0)
                    {
                        errno = Libc.LastError;
                        return false;
                    }
                }
            }
            finally
            {
                ReleaseFlush();
            }

            if (closingBytes)
            {
                TryWriteNow(); // sends the close_notify; the flush that drains it comes back here for the FIN
            }

            return true;
        }
        finally
        {
            ReleaseIo();
        }
    }

    /// <summary>Nothing written waits: no plaintext, and (with a transform) no raw bytes.</summary>
    private bool OutputDrained() => _output.Length == 0 && (_transform is null || _transform.RawOutput.Length == 0);

    /// <summary>Asks for a close from any thread; the poller runs the close path on its next turn.</summary>
    internal void RequestClose(CloseReason reason)
    {
        if (!_lifecycle.TryRequestClose(reason))
        {
            EndCloseDrainIfHard(reason); // an abort or an error ends a graceful close's wait for its output
            return;
        }

        FailReaderIfStarved();
        QueuePollerTask();
    }

    /// <summary>Forced close at a shutdown deadline: reset, do not drain.</summary>
    internal void ForceClose()
    {
        _lifecycle.MarkAbortive();
        RequestClose(CloseReason.Shutdown);
    }

    /// <summary>A trigger the poller itself saw (EOF with nothing left, an error, a deadline): close now.</summary>
    private void CloseOnPoller(CloseReason reason, int errno)
    {
        // A peer's reset is routine at scale (and is the close reason); only other errors are worth a line.
        if (errno != 0 && errno != Errno.ECONNRESET && errno != Errno.EPIPE)
        {
            Trace.TraceInformation($"netpoll connection {Id}: closing on socket error {errno}");
        }

        if (!_lifecycle.TryRequestClose(reason))
        {
            EndCloseDrainIfHard(reason);
        }

        RunClosePath();
    }

    /// <summary>
    /// The close path: runs once, on the poller thread, for every close whatever its trigger, and also
    /// when registration failed (then there is nothing to unregister and no peer to report).
    /// </summary>
    private void RunClosePath()
    {
        Debug.Assert(Poller.IsPollerThread || !Poller.IsRunning, "The close path runs on the poller thread.");
        bool flushTaken = false;
        if (_lifecycle.IsClosing || CloseWaitsForOutput(out flushTaken))
        {
            return; // closed already, or a graceful close waits for the output flushed before it (TLS)
        }

        if (!_lifecycle.TryBeginClosePath())
        {
            return;
        }

        bool registered = RegistrationFailed is null;
        if (registered)
        {
            if (_lifecycle.HasOperations)
            {
                // Closing the fd would not end a multishot receive: cancel, and retire the token when the
                // last operation's completion arrives (EndRingOperation).
                CancelRingOperations();
            }
            else
            {
                Poller.Unregister(Fd, Token);
            }

            Poller.Counters[PollerCounter.Connections]--;
            Poller.Counters[PollerCounter.Closed]++;
        }

        if (_lifecycle.TryResumeReading())
        {
            Interlocked.Decrement(ref Poller.Counters[PollerCounter.Paused]);
        }

        if (_lifecycle.IsAbortive)
        {
            NativeSocket.SetAbortiveClose(Fd);
        }
        else if (flushTaken || ((HasOutputToSend || _transform is not null) &&
                 Interlocked.CompareExchange(ref _flushOwner, FlushBusy, FlushIdle) == FlushIdle))
        {
            // Last chance for output a handler flushed without waiting (OutputHighWaterMark > 0), and for a
            // transform's closing bytes (TLS close_notify: after the output drained, when the close waited for it).
            if (_transform is not null)
            {
                EncodeClosingOutput();
            }

            if (HasOutputToSend)
            {
                WriteOutput();
            }

            Volatile.Write(ref _flushOwner, FlushIdle);
        }

        // Only a pending wait needs the exception; most connections close with none and allocate nothing
        // here. A wait armed after this sees the close request and fails itself.
        Exception? closed = null;
        if (_readSignal is { IsWaiting: true } reader)
        {
            reader.TrySet(closed ??= ClosedException("Wait"));
        }

        if (Volatile.Read(ref _flushWaiters) is not null)
        {
            CompleteFlushWaiters(closed ?? ClosedException("Wait"));
        }

        ReleaseIo(); // the reactor's own reference: the fd closes now, or when the last flush in flight ends

        if (_lifecycle.TryRetireIdleDispatch() || _lifecycle.TryRetireHeldDispatch())
        {
            OnDispatchRetired(); // else the running handler retires it when it returns
        }

        // A connection that never opened: count a failed handshake, and tell a waiting dialer why.
        bool handshaking = _lifecycle.IsHandshaking;
        Exception? handshakeError = handshaking ? _transform!.HandshakeEnded(_lifecycle.Reason) : null;
        if (OnOpened is not null)
        {
            ReportOpened(RegistrationFailed ?? handshakeError ?? ClosedException("Connect"));
        }

        // A handler that runs inline declared it never blocks, and hears of the peer's end where it heard its input: on
        // the poller, before the close callbacks, with no ThreadPool hop (a load generator reopens from here). Any other
        // hears it first thing in the queued callbacks.
        bool peerInitiated = registered && !handshaking && _lifecycle.Reason is CloseReason.PeerClosed or CloseReason.Error;
        if (peerInitiated && _runInline)
        {
            NotifyDisconnect();
        }

        bool disconnectOnPool = peerInitiated && !_runInline;
        ThreadPool.UnsafeQueueUserWorkItem(static state => state.connection.RunCloseCallbacks(state.disconnectOnPool), (connection: this, disconnectOnPool), preferLocal: false);
    }

    /// <summary>The handler's OnDisconnect, once: on the poller for an inline handler, else first thing in <see cref="RunCloseCallbacks"/>.</summary>
    private void NotifyDisconnect()
    {
        if (_handler is null)
        {
            return;
        }

        try
        {
            _handler.OnDisconnect(this);
        }
        catch (Exception ex)
        {
            Trace.TraceWarning($"netpoll connection {Id}: OnDisconnect failed: {ex.Message}");
        }
    }

    /// <summary>Queued once by the close path: OnDisconnect (when the peer ended it and the handler is not inline), close callbacks, then the owner.</summary>
    private void RunCloseCallbacks(bool notifyDisconnect)
    {
        if (notifyDisconnect)
        {
            NotifyDisconnect();
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

        _host.OnConnectionClosed(this);
    }

    /// <summary>Drops an fd reference; the one that leaves the fd unused after the close path began closes it.</summary>
    private void ReleaseIo()
    {
        if (_lifecycle.ReleaseIo())
        {
            _ = Libc.Close(Fd);
            FreeBuffersIfLast();
        }
    }

    /// <summary>The dispatcher let go of the buffers (it retired).</summary>
    private void OnDispatchRetired() => FreeBuffersIfLast();

    /// <summary>Returns both buffers to the pool when this was the last of the two claims on them (fd, dispatcher).</summary>
    private void FreeBuffersIfLast()
    {
        if (!_lifecycle.DropBufferClaim())
        {
            return;
        }

        Debug.Assert(!_lifecycle.IsFdOpen, "Buffers are freed only after the fd closed.");
        lock (WriteGate)
        {
            _input.Dispose();
            _output.Dispose();
            _transform?.RawInput.Dispose();
            _transform?.RawOutput.Dispose();
            _transform?.Release();
        }
    }

    private void ThrowIfClosed(string operation)
    {
        if (_lifecycle.IsCloseRequested)
        {
            throw ClosedException(operation);
        }
    }

    private ConnectionClosedException ClosedException(string operation) =>
        new(_lifecycle.Reason, $"{operation} on connection {Id}: the connection is closed ({_lifecycle.Reason}).");
}
