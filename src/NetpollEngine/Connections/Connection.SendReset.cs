namespace Netpoll.Connections;

/// <summary>
/// A send that meets the peer's reset (ECONNRESET, or EPIPE once the reset was reported) does not close at once:
/// what the peer sent before its reset is acknowledged and queued in the kernel — a server's early answer, say a
/// 413 or a proxied upstream's last reply, sent before it closed with our bytes unread. The poller reads all of it
/// into the input first (past the high-water mark: after a reset nothing more can arrive, so the socket's receive
/// buffer bounds it), then closes as <see cref="CloseReason.Error"/>. Nothing more is sent meanwhile.
/// </summary>
public sealed partial class Connection
{
    /// <summary>A send failed with the peer's reset (any thread): the poller reads what is queued, then closes.</summary>
    private void OnSendReset(int errno)
    {
        if (_lifecycle.IsCloseRequested)
        {
            RequestClose(CloseReason.Error); // closing already: only ends a graceful close's wait for its output
            return;
        }

        if (_lifecycle.TryMarkSendReset(errno))
        {
            QueuePollerTaskNextTurn(); // never inside the write that failed: its caller still holds the flush
        }
    }

    /// <summary>
    /// Reads what the socket holds and closes with the send's error. On a completion backend an armed (or
    /// cancelling) receive delivers first, in order; its end comes back here. Poller thread.
    /// </summary>
    private void CloseAfterSendReset()
    {
        if (_lifecycle.IsClosing || (_ring is not null && _receive is RingReceive.Armed or RingReceive.Canceling))
        {
            return;
        }

        if (!_lifecycle.IsPeerClosed)
        {
            ReadFromSocket(drain: true); // the end it meets closes as the reset
        }

        if (!_lifecycle.IsClosing)
        {
            CloseOnPoller(CloseReason.Error, _lifecycle.SendResetErrno);
        }
    }
}
