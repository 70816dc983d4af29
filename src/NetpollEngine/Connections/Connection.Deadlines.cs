using System.Diagnostics;
using Netpoll.Diagnostics;
using Netpoll.Polling;

namespace Netpoll.Connections;

/// <summary>
/// Idle, read, write, request and handshake deadlines. Any thread arms or clears one (a reader wait, a flush
/// wait, a byte moving, a protocol waiting for a request; the handshake's at registration); the poller puts the
/// earliest on its <see cref="TimerWheel"/> and, when it fires, acts on whichever passed: idle, write and
/// handshake close the connection, read fails the reader's wait, request asks the handler and then (usually) closes.
/// </summary>
public sealed partial class Connection
{
    private long IdleMs => (long)_options.IdleTimeout.TotalMilliseconds;

    /// <summary>A reader wait started: it fails after ReadTimeout unless satisfied first. Any thread.</summary>
    private void ArmReadDeadline()
    {
        if (_options.ReadTimeout > TimeSpan.Zero)
        {
            _deadlines.SetRead(Environment.TickCount64 + (long)_options.ReadTimeout.TotalMilliseconds);
            QueuePollerTask();
        }
    }

    /// <summary>A flush waits for the socket: the connection closes after WriteTimeout unless it drains first. Any thread.</summary>
    private void ArmWriteDeadline()
    {
        if (_options.WriteTimeout > TimeSpan.Zero)
        {
            long now = Environment.TickCount64;
            _deadlines.SetWrite(now + (long)_options.WriteTimeout.TotalMilliseconds);
            if (Poller.IsPollerThread && _lifecycle.IsRegistered && !_lifecycle.IsCloseRequested)
            {
                // On io_uring this runs for every ring send: scheduling is all the poller task would do here, and the
                // whole task (registration, close, transform and ring checks) costs the send path more than the deadline.
                ScheduleNextDeadline(now);
            }
            else
            {
                QueuePollerTask();
            }
        }
    }

    /// <summary>
    /// Arms the request deadline <paramref name="timeout"/> from now, replacing any armed before. For a
    /// protocol that gives a peer limited time for something it must send (an HTTP request head, a minimum
    /// body rate): when it passes, the handler's <see cref="ConnectionHandler.OnRequestDeadline"/> runs on the
    /// poller thread, and unless it returns false the connection sends what the handler wrote and closes
    /// with <see cref="CloseReason.RequestTimeout"/>. Any thread.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Not between one millisecond and 24 days.</exception>
    public void SetRequestDeadline(TimeSpan timeout)
    {
        if (timeout < TimeSpan.FromMilliseconds(1) || timeout > TimeSpan.FromDays(24))
        {
            throw new ArgumentOutOfRangeException(nameof(timeout), timeout, "A request deadline must be between 1 ms and 24 days from now.");
        }

        long ms = (long)timeout.TotalMilliseconds;
        _deadlines.SetRequest(Environment.TickCount64 + ms, ms);
        QueuePollerTask(); // on the poller thread this schedules at once
    }

    /// <summary>Disarms the request deadline (the awaited request arrived). Any thread; cheap.</summary>
    public void ClearRequestDeadline() => _deadlines.SetRequest(0, 0);

    // Clearing needs no poller task: a wheel entry that finds nothing due just schedules the next one.
    private void ClearReadDeadline() => _deadlines.SetRead(0);

    private void ClearWriteDeadline() => _deadlines.SetWrite(0);

    void IPollable.OnDeadline(long nowMs)
    {
        if (_lifecycle.IsClosing)
        {
            return;
        }

        if (_lifecycle.IsCloseRequested)
        {
            RunClosePath(); // a graceful close that waits for its output: its wait may be over
            return;
        }

        if (_ring is not null)
        {
            RetryParkedReceive(); // a receive that found the ring empty asked to be woken up
        }

        if (_deadlines.Scheduled == 0 || nowMs < _deadlines.Scheduled)
        {
            return; // a stale wheel entry: a newer one is live
        }

        _deadlines.Scheduled = 0;
        if (IdleMs > 0 && nowMs - _deadlines.LastActivity >= IdleMs)
        {
            Poller.Counters[PollerCounter.Timeouts]++;
            NetpollEventSource.Log.ConnectionTimedOut(_host.Name, Id, "idle", IdleMs);
            CloseOnPoller(CloseReason.IdleTimeout, 0);
            return;
        }

        long read = _deadlines.Read;
        if (read != 0 && nowMs >= read)
        {
            ClearReadDeadline();
            if (_readSignal?.TrySet(new TimeoutException($"Read timed out after {_options.ReadTimeout.TotalMilliseconds:0} ms waiting for {DescribeWant()}; {_input.Length} bytes were buffered.")) == true)
            {
                Poller.Counters[PollerCounter.Timeouts]++;
                NetpollEventSource.Log.ConnectionTimedOut(_host.Name, Id, "read", (long)_options.ReadTimeout.TotalMilliseconds);
            }
        }

        long handshake = _deadlines.Handshake;
        if (handshake != 0 && nowMs >= handshake && _lifecycle.IsHandshaking)
        {
            Poller.Counters[PollerCounter.Timeouts]++;
            NetpollEventSource.Log.ConnectionTimedOut(_host.Name, Id, "handshake", (long)_transform!.HandshakeTimeout.TotalMilliseconds);
            CloseOnPoller(CloseReason.HandshakeTimeout, 0);
            return;
        }

        long write = _deadlines.Write;
        if (write != 0 && nowMs >= write)
        {
            ClearWriteDeadline();
            // What a ring send holds counts too: its flush completed when the ring took the bytes, but the peer has
            // not taken them, and one stuck send can hold a whole flush's output (0 on epoll and kqueue).
            if ((long)UnsentBytes + Volatile.Read(ref _sending) > _options.OutputHighWaterMark)
            {
                Poller.Counters[PollerCounter.Timeouts]++;
                NetpollEventSource.Log.ConnectionTimedOut(_host.Name, Id, "write", (long)_options.WriteTimeout.TotalMilliseconds);
                CloseOnPoller(CloseReason.WriteTimeout, 0);
                return;
            }
        }

        long request = _deadlines.Request;
        if (request != 0 && nowMs >= request && RequestDeadlinePassed())
        {
            return;
        }

        ScheduleNextDeadline(nowMs);
    }

    /// <summary>The request deadline passed: ask the handler, then close unless it says no. True: closed.</summary>
    private bool RequestDeadlinePassed()
    {
        long timeout = _deadlines.RequestTimeout;
        ClearRequestDeadline();
        bool close = true;
        try
        {
            close = _handler?.OnRequestDeadline(this) ?? true;
        }
        catch (Exception ex)
        {
            Trace.TraceWarning($"netpoll connection {Id}: OnRequestDeadline failed: {ex.GetType().Name}: {ex.Message}");
        }

        if (!close)
        {
            return false; // the handler moved or cleared the deadline; ScheduleNextDeadline picks up the new one
        }

        Poller.Counters[PollerCounter.Timeouts]++;
        NetpollEventSource.Log.ConnectionTimedOut(_host.Name, Id, "request", timeout);
        lock (WriteGate)
        {
            _output.Flush(); // publish the handler's last words; the close path writes them
        }

        CloseOnPoller(CloseReason.RequestTimeout, 0);
        return true;
    }

    /// <summary>Puts the earliest pending deadline on the wheel if it is earlier than the live entry. Poller thread.</summary>
    private void ScheduleNextDeadline(long nowMs)
    {
        long due = _deadlines.Earliest(IdleMs);
        long scheduled = _deadlines.Scheduled;
        if (due == long.MaxValue || (scheduled != 0 && scheduled <= due))
        {
            return;
        }

        _deadlines.Scheduled = Math.Max(due, nowMs + 1);
        Poller.Schedule(this, _deadlines.Scheduled);
    }
}
