using System.Diagnostics;
using Netpoll.Buffers;
using Netpoll.Diagnostics;
using Netpoll.Interop;
using Netpoll.Polling;

namespace Netpoll.Connections;

/// <summary>
/// The poller-thread side: poller tasks (registration, close, deadline changes), reading the socket,
/// backpressure, interest. On a completion backend the reading is Connection.Completion.cs's, and interest
/// changes become ring operations.
/// </summary>
public sealed partial class Connection
{
    private const int MinReadSize = 4096;
    private const int MaxReadSize = 64 * 1024;
    private const int ReadsPerEvent = 8;

    /// <summary>Queues registration on the connection's poller (the first poller task).</summary>
    internal void StartRegistration() => QueuePollerTask();

    /// <summary>Registers now; the caller is on the connection's poller thread (the dialer, finishing a connect).</summary>
    internal void RegisterOnPoller() => ((IPollerTask)this).Run(Poller);

    /// <summary>Asks the poller to run <see cref="IPollerTask.Run"/> once, however many threads ask before it does.</summary>
    private void QueuePollerTask()
    {
        if (Interlocked.Exchange(ref _pollerTaskQueued, 1) == 0)
        {
            Poller.Post(this);
        }
    }

    /// <summary>As <see cref="QueuePollerTask"/>, but on the next loop turn even from the poller thread: a retry that must not recurse.</summary>
    private void QueuePollerTaskNextTurn()
    {
        if (Interlocked.Exchange(ref _pollerTaskQueued, 1) == 0)
        {
            Poller.Enqueue(this);
        }
    }

    /// <summary>
    /// The poller catches up with what other threads asked of this connection: the first run registers
    /// it; after that a requested close runs the close path, and otherwise a moved deadline is scheduled.
    /// </summary>
    void IPollerTask.Run(Poller poller)
    {
        Volatile.Write(ref _pollerTaskQueued, 0);
        if (_lifecycle.TryBeginRegistration() && !Register())
        {
            return; // registration failed: the connection is closed
        }

        if (_lifecycle.IsCloseRequested)
        {
            RunClosePath(); // closed before or while it was registered, or since the last turn
            return;
        }

        if (_lifecycle.SendResetErrno != 0)
        {
            CloseAfterSendReset(); // a write met the peer's reset on another thread
            if (_lifecycle.IsClosing)
            {
                return;
            }
        }

        if (_transform is not null)
        {
            RunTransformTasks();
            if (_lifecycle.IsClosing)
            {
                return;
            }
        }

        if (_ring is not null)
        {
            SyncRing(); // reading resumed, or a flush was handed over, on another thread
        }

        ScheduleNextDeadline(Environment.TickCount64);
    }

    /// <summary>Registers on the poller and starts OnConnect. Poller thread; false when registration failed (then closed).</summary>
    private bool Register()
    {
        try
        {
            if (_ring is null)
            {
                _appliedInterest = Interest.Read;
                Token = Poller.Register(Fd, this, Interest.Read);
            }
            else
            {
                Token = Poller.Attach(this);
                SyncRing(); // arms the receive
            }
        }
        catch (Exception ex)
        {
            // epoll_ctl can fail (ENOMEM, ENOSPC: max_user_watches): close rather than leak the fd.
            Trace.TraceWarning($"netpoll connection {Id}: registration failed: {ex.Message}");
            if (Token != 0 && !_lifecycle.HasOperations)
            {
                Poller.Unregister(Fd, Token); // attached, but the receive could not be submitted
            }

            RegistrationFailed = ex;
            _ = _lifecycle.TryRequestClose(CloseReason.Error);
            RunClosePath();
            return false;
        }

        Poller.Counters[PollerCounter.Connections]++;
        if (_transform is not null)
        {
            BeginTransform(); // OnConnect and the dialer wait for the handshake
            return true;
        }

        if (_lifecycle.IsCloseRequested)
        {
            // Closed before it registered (its OnPrepare threw or closed it): the close path runs next, the handler hears
            // only of that, and a dialer is told the connect failed (not handed a connection that is already closing).
            return true;
        }

        if (_handler is not null)
        {
            // OnConnect runs before any OnRequest: it takes the dispatch slot first.
            _lifecycle.StartFirstDispatch();
            StartHandler();
        }

        ReportOpened(null);
        return true;
    }

    void IPollable.OnReady(ReadyFlags flags)
    {
        if (_lifecycle.IsClosing)
        {
            return;
        }

        if ((flags & ReadyFlags.Error) != 0 && (flags & ReadyFlags.Readable) == 0)
        {
            if (!_lifecycle.IsPeerClosed)
            {
                // A reset while reading was paused (backpressure): what the peer sent before it waits in the
                // kernel, acknowledged. Read it all (no more than the socket's receive buffer) so the handler
                // gets it; the read that meets the error closes the connection.
                ReadFromSocket(drain: true);
                if (_lifecycle.IsClosing)
                {
                    return;
                }
            }

            int errno = NativeSocket.PendingError(Fd);
            CloseOnPoller(CloseReason.Error, errno);
            return;
        }

        if ((flags & (ReadyFlags.Readable | ReadyFlags.Hangup | ReadyFlags.Error)) != 0 && !_lifecycle.IsPeerClosed)
        {
            ReadFromSocket();
            if (_lifecycle.IsClosing)
            {
                return;
            }
        }

        if ((flags & ReadyFlags.Writable) != 0)
        {
            FlushFromPoller();
        }
    }

    /// <summary>Reads what the socket holds into the input. <paramref name="drain"/>: all of it, past the high-water mark (the peer reset).</summary>
    private unsafe void ReadFromSocket(bool drain = false)
    {
        int added = 0;
        bool eof = false;
        int error = 0;
        // Stop at the high-water mark, not after the batch: one event could otherwise overshoot it by
        // ReadsPerEvent × MaxReadSize. The same test pauses reading below, so epoll cannot spin on it.
        // Draining stops at EAGAIN, EOF or the error instead: after a reset nothing more can arrive.
        for (int i = 0; drain || (i < ReadsPerEvent && !_lifecycle.IsReadingPaused && !InputFull()); i++)
        {
            PinnedSegment space = SocketInput.ReserveForRead(minimum: 1024, preferred: _readSize);
            nint n = Libc.Read(Fd, space.Pointer, (nuint)space.Length);
            Poller.Counters[PollerCounter.ReadCalls]++;
            if (n > 0)
            {
                SocketInput.CommitReserved((int)n);
                added += (int)n;
                if (n < space.Length)
                {
                    break; // the socket is drained: skip the read that would say EAGAIN
                }

                _readSize = Math.Min(_readSize * 2, MaxReadSize);
                continue;
            }

            SocketInput.CommitReserved(0);
            if (n == 0)
            {
                eof = true;
                break;
            }

            int errno = Libc.LastError;
            if (errno == Errno.EINTR)
            {
                continue;
            }

            if (errno != Errno.EAGAIN)
            {
                error = errno;
            }

            break;
        }

        if (added > 0)
        {
            if (added < MinReadSize / 2 && _readSize > MinReadSize)
            {
                _readSize /= 2;
            }

            InputArrived(added);
            if (_lifecycle.IsClosing)
            {
                return; // the transform's decode closed it (a failed handshake, a close_notify)
            }
        }

        // Also when nothing was read: input already at the mark must stop EPOLLIN, or it fires forever.
        PauseIfFull();

        if (error == 0 && eof && _lifecycle.SendResetErrno is int sendReset and not 0)
        {
            error = sendReset; // the end after a reset our send consumed: still the reset, not a FIN
        }

        if (error != 0)
        {
            CloseOnPoller(CloseReason.Error, error);
        }
        else if (eof)
        {
            OnPeerClosed();
        }
    }

    /// <summary>Bytes were published into the input (read, or received by the ring): count them, wake the reader, dispatch. Poller thread.</summary>
    private void InputArrived(int added)
    {
        Poller.Counters[PollerCounter.BytesIn] += added;
        _deadlines.Touch(Poller.TurnStartedMs);
        if (_transform is not null)
        {
            DecodeInput(); // raw bytes become plaintext input (and may open or close the connection)
            return;
        }

        Interlocked.Add(ref _received, added);
        WakeReader();
        TryDispatch();
    }

    /// <summary>
    /// The peer sent FIN (or <paramref name="failed"/>: its stream ended in bad bytes the transform refused): stop
    /// reading, let the handler drain what arrived, then close (as <see cref="CloseReason.Error"/> when it failed).
    /// </summary>
    private void OnPeerClosed(bool failed = false)
    {
        if (_lifecycle.IsPeerClosed)
        {
            // The transform ended the stream first (a TLS close_notify decoded from the same read, or while the ring's
            // receive was still armed): the socket's FIN after it adds nothing.
            return;
        }

        if (_lifecycle.IsHandshaking)
        {
            CloseOnPoller(CloseReason.PeerClosed, 0); // a truncated handshake: nothing was ever open to drain
            return;
        }

        _lifecycle.MarkPeerClosed(failed);
        UpdateInterest();
        FailReaderIfStarved();
        if (_handler is null)
        {
            return; // a dialed connection: the application reads what is left and closes
        }

        if (_input.Length == 0 && _lifecycle.TryRetireIdleDispatch())
        {
            // Nothing left to hand over and no handler running: none will start again, close now.
            OnDispatchRetired();
            CloseOnPoller(_lifecycle.PeerCloseReason, 0);
            return;
        }

        // A handler is running (it will see the FIN when it returns) or input waits for one.
        TryDispatch();
    }

    /// <summary>Unread input reached the high-water mark and no reader waits for more than that.</summary>
    private bool InputFull() => _input.Length >= _options.InputHighWaterMark && !ReaderNeedsMore();

    private void PauseIfFull()
    {
        if (InputFull() && _lifecycle.TryPauseReading())
        {
            Interlocked.Increment(ref Poller.Counters[PollerCounter.Paused]);
            NetpollEventSource.Log.BackpressureOn(_host.Name, Id, _input.Length);
            UpdateInterest();

            // A handler on another thread may have drained the input between InputFull's look at the length and the
            // pause, and looked at the paused bit before it was set: nobody would resume an empty input. The pause
            // (a locked Or) then this look, against the handler's consume (a locked add) then its look at the bit:
            // one of the two sees the other.
            ResumeIfDrained();
        }
    }

    /// <summary>Resumes reading once the handler drained input to the low-water mark (any thread).</summary>
    private void ResumeIfDrained()
    {
        if (_lifecycle.IsReadingPaused && (_input.Length <= _options.InputLowWaterMark || ReaderNeedsMore()) &&
            _lifecycle.TryResumeReading())
        {
            Interlocked.Decrement(ref Poller.Counters[PollerCounter.Paused]);
            NetpollEventSource.Log.BackpressureOff(_host.Name, Id, _input.Length);
            UpdateInterest();
        }
    }

    /// <summary>
    /// The interest gate, created by the first interest change: most connections never change theirs (only a flush
    /// that would block or backpressure does), so an idle connection does not carry a lock for it. Any thread.
    /// </summary>
    private Lock InterestGate => LazyInitializer.EnsureInitialized(ref _interestGate, static () => new Lock());

    /// <summary>Applies read/write interest from the current state. Any thread; converges under races.</summary>
    private void UpdateInterest()
    {
        if (_ring is not null)
        {
            // A completion backend has no interest to change: the poller arms or cancels the receive and sends.
            if (Poller.IsPollerThread)
            {
                SyncRing();
            }
            else
            {
                QueuePollerTask();
            }

            return;
        }

        lock (InterestGate)
        {
            if (!_lifecycle.TryAcquireIo())
            {
                return; // closing: the close path unregisters, no interest to keep
            }

            try
            {
                Interest want = Interest.None;
                if (!_lifecycle.IsReadingPaused && !_lifecycle.IsPeerClosed)
                {
                    want |= Interest.Read;
                }

                if (_writeArmed)
                {
                    want |= Interest.Write;
                }

                if (want != _appliedInterest)
                {
                    Poller.Modify(Fd, Token, want);
                    _appliedInterest = want;
                }
            }
            finally
            {
                ReleaseIo();
            }
        }
    }
}
