using Netpoll.Buffers;
using Netpoll.Diagnostics;
using Netpoll.Interop;
using Netpoll.Polling;

namespace Netpoll.Connections;

/// <summary>The poller-thread side: reading the socket, backpressure, interest, deadlines.</summary>
public sealed partial class Connection
{
    private const int MinReadSize = 4096;
    private const int MaxReadSize = 64 * 1024;
    private const int ReadsPerEvent = 8;

    void IPollable.OnReady(ReadyFlags flags)
    {
        if (Volatile.Read(ref _closed) != 0)
        {
            return;
        }

        if ((flags & ReadyFlags.Error) != 0 && (flags & ReadyFlags.Readable) == 0)
        {
            int errno = NativeSocket.PendingError(Fd);
            RequestCloseOnPoller(CloseReason.Error, errno);
            return;
        }

        if ((flags & (ReadyFlags.Readable | ReadyFlags.Hangup | ReadyFlags.Error)) != 0 && !_peerClosed)
        {
            ReadFromSocket();
            if (Volatile.Read(ref _closed) != 0)
            {
                return;
            }
        }

        if ((flags & ReadyFlags.Writable) != 0)
        {
            FlushFromPoller();
        }
    }

    private unsafe void ReadFromSocket()
    {
        int added = 0;
        bool eof = false;
        int error = 0;
        // Stop at the high-water mark, not after the batch: one event could otherwise overshoot it by
        // ReadsPerEvent × MaxReadSize. The same test pauses reading below, so epoll cannot spin on it.
        for (int i = 0; i < ReadsPerEvent && Volatile.Read(ref _paused) == 0 && !InputFull(); i++)
        {
            PinnedSegment space = _input.ReserveForRead(minimum: 1024, preferred: _readSize);
            nint n = Libc.Read(Fd, space.Pointer, (nuint)space.Length);
            Poller.Counters.ReadCalls++;
            if (n > 0)
            {
                _input.CommitReserved((int)n);
                added += (int)n;
                if (n < space.Length)
                {
                    break; // the socket is drained: skip the read that would say EAGAIN
                }

                _readSize = Math.Min(_readSize * 2, MaxReadSize);
                continue;
            }

            _input.CommitReserved(0);
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
            Poller.Counters.BytesIn += added;
            Volatile.Write(ref _lastActivity, Environment.TickCount64);
            Interlocked.Add(ref _received, added);
            if (added < MinReadSize / 2 && _readSize > MinReadSize)
            {
                _readSize /= 2;
            }

            WakeReader();
            TryDispatch();
        }

        // Also when nothing was read: input already at the mark must stop EPOLLIN, or it fires forever.
        PauseIfFull();

        if (error != 0)
        {
            RequestCloseOnPoller(CloseReason.Error, error);
        }
        else if (eof)
        {
            OnPeerClosed();
        }
    }

    /// <summary>The peer sent FIN: stop reading, let the handler drain what arrived, then close.</summary>
    private void OnPeerClosed()
    {
        Volatile.Write(ref _peerClosed, true);
        UpdateInterest();
        FailReaderIfStarved();
        if (_handler is null)
        {
            return; // a dialed connection: the application reads what is left and closes
        }

        if (_input.Length == 0 && Interlocked.CompareExchange(ref _dispatch, DispatchRetired, DispatchIdle) == DispatchIdle)
        {
            RequestCloseOnPoller(CloseReason.PeerClosed, 0);
            TryFreeBuffers();
            return;
        }

        // A handler is running (it will see the FIN when it returns) or input waits for one.
        TryDispatch();
    }

    /// <summary>Unread input reached the high-water mark and no reader waits for more than that.</summary>
    private bool InputFull() => _input.Length >= _options.InputHighWaterMark && !ReaderNeedsMore();

    private void PauseIfFull()
    {
        if (InputFull() && Interlocked.CompareExchange(ref _paused, 1, 0) == 0)
        {
            Interlocked.Increment(ref Poller.Counters.Paused);
            NetpollEventSource.Log.BackpressureOn(_owner.Name, Id, _input.Length);
            UpdateInterest();
        }
    }

    /// <summary>Resumes reading once the handler drained input to the low-water mark (any thread).</summary>
    private void ResumeIfDrained()
    {
        if (Volatile.Read(ref _paused) == 1 && (_input.Length <= _options.InputLowWaterMark || ReaderNeedsMore()) &&
            Interlocked.CompareExchange(ref _paused, 0, 1) == 1)
        {
            Interlocked.Decrement(ref Poller.Counters.Paused);
            NetpollEventSource.Log.BackpressureOff(_owner.Name, Id, _input.Length);
            UpdateInterest();
        }
    }

    /// <summary>Applies read/write interest from the current state. Any thread; converges under races.</summary>
    private void UpdateInterest()
    {
        lock (_interestGate)
        {
            if (Volatile.Read(ref _closed) != 0 || !TryAcquireIo())
            {
                return;
            }

            try
            {
                Interest want = Interest.None;
                if (Volatile.Read(ref _paused) == 0 && !Volatile.Read(ref _peerClosed))
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

    // ------------------------------------------------------------------ deadlines

    void IPollable.OnDeadline(long nowMs)
    {
        if (Volatile.Read(ref _closed) != 0)
        {
            return;
        }

        if (_scheduledDue == 0 || nowMs < _scheduledDue)
        {
            return; // a stale wheel entry: a newer one is live
        }

        _scheduledDue = 0;
        if (_options.IdleTimeout > TimeSpan.Zero &&
            nowMs - Volatile.Read(ref _lastActivity) >= (long)_options.IdleTimeout.TotalMilliseconds)
        {
            Poller.Counters.Timeouts++;
            NetpollEventSource.Log.ConnectionTimedOut(_owner.Name, Id, "idle", (long)_options.IdleTimeout.TotalMilliseconds);
            RequestCloseOnPoller(CloseReason.IdleTimeout, 0);
            return;
        }

        long read = Volatile.Read(ref _readDeadline);
        if (read != 0 && nowMs >= read)
        {
            Volatile.Write(ref _readDeadline, 0);
            if (_readSignal?.TrySet(new TimeoutException($"Read timed out after {_options.ReadTimeout.TotalMilliseconds:0} ms waiting for {DescribeWant()}; {_input.Length} bytes were buffered.")) == true)
            {
                Poller.Counters.Timeouts++;
                NetpollEventSource.Log.ConnectionTimedOut(_owner.Name, Id, "read", (long)_options.ReadTimeout.TotalMilliseconds);
            }
        }

        long write = Volatile.Read(ref _writeDeadline);
        if (write != 0 && nowMs >= write)
        {
            Volatile.Write(ref _writeDeadline, 0);
            if (_output.Length > _options.OutputHighWaterMark)
            {
                Poller.Counters.Timeouts++;
                NetpollEventSource.Log.ConnectionTimedOut(_owner.Name, Id, "write", (long)_options.WriteTimeout.TotalMilliseconds);
                RequestCloseOnPoller(CloseReason.WriteTimeout, 0);
                return;
            }
        }

        ScheduleNextDeadline(nowMs);
    }

    /// <summary>Puts the earliest pending deadline on the wheel if it is earlier than the live entry. Poller thread.</summary>
    private void ScheduleNextDeadline(long nowMs)
    {
        long due = long.MaxValue;
        if (_options.IdleTimeout > TimeSpan.Zero)
        {
            due = Volatile.Read(ref _lastActivity) + (long)_options.IdleTimeout.TotalMilliseconds;
        }

        long read = Volatile.Read(ref _readDeadline);
        if (read != 0)
        {
            due = Math.Min(due, read);
        }

        long write = Volatile.Read(ref _writeDeadline);
        if (write != 0)
        {
            due = Math.Min(due, write);
        }

        if (due == long.MaxValue || (_scheduledDue != 0 && _scheduledDue <= due))
        {
            return;
        }

        _scheduledDue = Math.Max(due, nowMs + 1);
        Poller.Schedule(this, _scheduledDue);
    }
}
