using Netpoll.Polling;

namespace Netpoll.Connections;

/// <summary>
/// The peer's end on io_uring when the multishot receive misses it. After a receive that drained the socket, the kernel
/// retries the receive only on a wake-up. If the peer's last bytes and its reset both arrived before the receive ran, the
/// receive can read the bytes and spend the reset's wake-up with them: the kernel's hint says nothing is left (it says so
/// after a reset, unlike after a FIN), and nothing wakes the receive again. Kernels with the upstream fix for this
/// (io_uring/poll, "fix multishot recv missing EOF on wakeup race", 2026) loop once more when several wake-ups were
/// coalesced (6.18.44 has it); older kernels lose it. A connection that waits on its peer (a partial message, nothing to
/// send) would then wait for a deadline; epoll, level-triggered, sees the reset at once.
/// </summary>
/// <remarks>
/// <para>The watch: a one-shot poll for RDHUP, ERR and HUP, which arriving data does not fire (the kernel filters the
/// wake-up by its mask; no task work, no completion). It is armed once per connection, the first time a receive that left
/// the socket empty leaves the connection waiting on the peer — its input unconsumed, or nothing to send — and stays armed
/// until it fires or the connection closes. A connection that answers everything it reads (echo, HTTP keep-alive) never
/// arms it: a send would meet the reset anyway. Cost per receive completion: one byte compared, and on a drained socket
/// the state word and three lengths read.</para>
/// <para>When it fires, an armed receive is cancelled and its final completion re-arms one (SyncRing), which reads the
/// socket afresh: what is left, then 0 or −ECONNRESET. Had the receive seen the end itself, its own completion closes the
/// connection and the cancel finds nothing. The watch counts as an operation in the lifecycle, so the close path's cancels
/// (<see cref="CancelRingOperations"/>) and the ring's drain on stop end it like the receive.</para>
/// </remarks>
public sealed partial class Connection
{
    /// <summary>The poll for the peer's end, as the poller thread sees it.</summary>
    private enum HangupWatch : byte
    {
        /// <summary>Not armed yet: the connection has not waited on its peer.</summary>
        Off,
        /// <summary>Armed: completes when the peer's reset or FIN (or both sides' shutdown) is there.</summary>
        Armed,
        /// <summary>Completed (or cancelled): never armed again — every end it reports is for good.</summary>
        Done,
    }

    /// <summary>Whether the watch was ever armed (tests: a connection that answers what it reads never arms it). A moment's value.</summary>
    internal bool HangupWatched => _hangupWatch != HangupWatch.Off;

    /// <summary>Arms the watch if nothing but the peer's next bytes would touch the socket again. Poller thread, after a receive that drained it.</summary>
    private void WatchHangupIfWaiting()
    {
        // Unconsumed input: a partial message (or a handler yet to run). No output: nothing will send, so no send meets the reset.
        // Looked at first: an echo's answer is in flight here on every round trip, and this is all that round trip pays.
        if (_lifecycle.IsClosing)
        {
            return; // the close path ended the receive; its buffers may be on their way back
        }

        bool waitsOnPeer = _input.Length > 0 || SocketInput.Length > 0 || (Volatile.Read(ref _sending) == 0 && !HasOutputToSend);
        if (!waitsOnPeer || _lifecycle.IsPeerClosed || Poller.IsStopping)
        {
            return;
        }

        _ring!.WatchHangup(Fd, Token);
        _lifecycle.BeginOperation();
        _hangupWatch = HangupWatch.Armed;
    }

    /// <summary>The watch completed: <paramref name="result"/> is the poll mask, or −errno (−ECANCELED when the connection closed). Poller thread.</summary>
    private void OnHangupPolled(int result)
    {
        _hangupWatch = HangupWatch.Done;
        if (result > 0 && !_lifecycle.IsClosing && _receive == RingReceive.Armed)
        {
            // The receive may have spent the wake-up that reported this end: end it, and the one armed after it reads the socket afresh.
            _ring!.Cancel(Token, IoOperation.Receive);
            _receive = RingReceive.Canceling;
        }

        EndRingOperation(); // last: it may close the fd
    }
}
