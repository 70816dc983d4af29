using System.Diagnostics;

namespace Netpoll.Connections;

/// <summary>
/// A graceful close waits for the output flushed before it, where closing at once would lose or disorder it:
/// <list type="bullet">
/// <item>With a transform (TLS): the closing bytes (close_notify) must follow the last record, and a flush under
/// way owns the output (a handler's sendmsg, a flush the poller finishes on write readiness, a ring send in
/// flight). The close path waits until that flush gives the output back drained, then writes close_notify.</item>
/// <item>On a completion backend (io_uring), plain too: a FlushAsync counts the bytes of a ring send in flight as
/// sent, and cancelling that send would drop them. The close path waits for a flush under way to finish.</item>
/// </list>
/// The wait is bounded (the write timeout, else <see cref="CloseDrainLimitMs"/>) and ends at once on a socket
/// error, an abort or a reason that says the bytes cannot move. A plain connection on epoll or kqueue closes at
/// once: its flushes hand every byte to the kernel, which sends them before the FIN.
/// </summary>
public sealed partial class Connection
{
    /// <summary>How long a graceful close waits for its output when no write timeout is set.</summary>
    private const long CloseDrainLimitMs = 10_000;

    /// <summary>
    /// Close path, before it begins: true while a graceful close should wait for the output to drain (then the
    /// flush's release or the drain deadline runs the close path again). False with <paramref name="flushTaken"/>:
    /// drained, and the flush is the close path's now (no flusher can slip in before the closing bytes). Poller thread.
    /// </summary>
    private bool CloseWaitsForOutput(out bool flushTaken)
    {
        flushTaken = false;
        Debug.Assert(Poller.IsPollerThread || !Poller.IsRunning, "The close path runs on the poller thread.");
        if (!CloseMayWaitForOutput || _lifecycle.IsAbortive || _lifecycle.IsHandshaking || _lifecycle.IsDrainOver
            || !DrainsOutput(_lifecycle.Reason) || RegistrationFailed is not null)
        {
            return false;
        }

        long drainUntil = _deadlines.CloseDrain;
        if (_transform is null && drainUntil == 0 && Volatile.Read(ref _flushOwner) == FlushIdle)
        {
            return false; // plain, and no flush under way: the close path's own last write is all there is
        }

        long now = Environment.TickCount64;
        if (drainUntil == 0)
        {
            long limit = _options.WriteTimeout > TimeSpan.Zero ? (long)_options.WriteTimeout.TotalMilliseconds : CloseDrainLimitMs;
            _deadlines.SetCloseDrain(now + limit);
            Poller.Schedule(this, now + limit); // OnDeadline runs the close path again then, drained or not
        }
        else if (now >= drainUntil)
        {
            return false; // waited long enough: what is still unsent is dropped, as when the socket fails
        }

        if (_ring is not null)
        {
            SyncRing(); // a flush that would have blocked on another thread handed its output to the ring: send it
        }

        if (Volatile.Read(ref _flushOwner) == FlushIdle && HasOutputToSend)
        {
            TryWriteNow(); // published and not flushed yet (a handler's last words): flushed as any flush is
        }

        if (_lifecycle.IsDrainOver)
        {
            return false; // the flush failed: nothing more can go
        }

        // Drained: the close path takes the flush for the closing bytes. A flush that still owns the output (or
        // slipped in) runs the close path again when it lets go (ReleaseFlush).
        flushTaken = !HasOutputToSend && Interlocked.CompareExchange(ref _flushOwner, FlushBusy, FlushIdle) == FlushIdle;
        if (!flushTaken && Volatile.Read(ref _flushOwner) == FlushIdle)
        {
            QueuePollerTaskNextTurn(); // bytes published by a write that raced the close and no flush took them: next turn
        }

        return !flushTaken;
    }

    /// <summary>Closes without waiting for output a flush still holds: a shutdown that is not graceful. Any thread.</summary>
    internal void CloseWithoutDrain(CloseReason reason)
    {
        _lifecycle.MarkDrainOver();
        RequestClose(reason);
    }

    /// <summary>A transform's closing bytes, or a ring that may hold flushed bytes in a send in flight.</summary>
    private bool CloseMayWaitForOutput => _transform is not null || _ring is not null;

    /// <summary>Whether a close for <paramref name="reason"/> lets the output flushed before it go first.</summary>
    private static bool DrainsOutput(CloseReason reason) =>
        reason is CloseReason.Local or CloseReason.Shutdown or CloseReason.RequestTimeout or CloseReason.PeerClosed or CloseReason.HandlerError;

    /// <summary>
    /// A close trigger that came after the first: if it says the bytes cannot move (a socket error, a deadline) or
    /// the close turned abortive, a graceful close waiting for its output stops waiting. Any thread.
    /// </summary>
    private void EndCloseDrainIfHard(CloseReason reason)
    {
        if (CloseMayWaitForOutput && (_lifecycle.IsAbortive || !DrainsOutput(reason)) && !_lifecycle.IsClosing)
        {
            _lifecycle.MarkDrainOver();
            QueuePollerTaskNextTurn();
        }
    }

    /// <summary>A flush let go of the output: a graceful close waiting for it runs again on the next loop turn. Any thread.</summary>
    private void ResumeCloseAfterFlush()
    {
        if (CloseMayWaitForOutput && _lifecycle.IsCloseRequested && !_lifecycle.IsClosing)
        {
            QueuePollerTaskNextTurn();
        }
    }
}
