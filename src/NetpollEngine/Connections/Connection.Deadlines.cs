using Netpoll.Diagnostics;
using Netpoll.Polling;

namespace Netpoll.Connections;

/// <summary>
/// Idle, read and write deadlines. Any thread arms or clears one (a reader wait, a flush wait, a byte
/// moving); the poller puts the earliest on its <see cref="TimerWheel"/> and, when it fires, acts on
/// whichever passed: idle and write close the connection, read fails the reader's wait.
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
            _deadlines.SetWrite(Environment.TickCount64 + (long)_options.WriteTimeout.TotalMilliseconds);
            QueuePollerTask();
        }
    }

    // Clearing needs no poller task: a wheel entry that finds nothing due just schedules the next one.
    private void ClearReadDeadline() => _deadlines.SetRead(0);

    private void ClearWriteDeadline() => _deadlines.SetWrite(0);

    void IPollable.OnDeadline(long nowMs)
    {
        if (_lifecycle.IsClosing)
        {
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

        long write = _deadlines.Write;
        if (write != 0 && nowMs >= write)
        {
            ClearWriteDeadline();
            if (_output.Length > _options.OutputHighWaterMark)
            {
                Poller.Counters[PollerCounter.Timeouts]++;
                NetpollEventSource.Log.ConnectionTimedOut(_host.Name, Id, "write", (long)_options.WriteTimeout.TotalMilliseconds);
                CloseOnPoller(CloseReason.WriteTimeout, 0);
                return;
            }
        }

        ScheduleNextDeadline(nowMs);
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
