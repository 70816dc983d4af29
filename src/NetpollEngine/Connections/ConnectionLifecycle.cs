using System.Diagnostics;

namespace Netpoll.Connections;

/// <summary>
/// The lifecycle of one <see cref="Connection"/>: every state it passes through, and every transition,
/// each named, each taken by exactly one thread. The close path and each of its effects happen exactly
/// once because each is behind a transition that only one caller can win.
/// </summary>
/// <remarks>
/// <code>
///   Created ──(poller) TryBeginRegistration──► Open ──(poller) MarkPeerClosed──► Open+PeerClosed
///      │        [with a transform: Open+Handshaking ──(poller) EndHandshake──► Open]      │
///      │            registration failed: TryRequestClose(Error) ──┐        │ (half-closed: the handler drains)
///      │                                                         ▼        ▼
///      └────────(any thread, any trigger) TryRequestClose(reason) ──► CloseRequested     first reason wins;
///               peer FIN/RST, socket error, Close, Abort, idle/write       │              IsActive is false from here
///               deadline, handler exception, shutdown (graceful/forced)    │ graceful, TLS or io_uring, a flush under way:
///                                                                          │ the close path waits until it drains
///                                                                          ▼ (Connection.CloseDrain.cs), bounded
///                           (poller) TryBeginClosePath ──► Closing        exactly once: counters, [Abortive: SO_LINGER 0
///                                                              │          | last write], fail waiters, queue the callbacks,
///                                                              │          drop the reactor's fd reference; and
///                                                              │          no operation in flight: unregister now,
///                                                              │          else cancel the fd's operations (completion backend)
///          (poller) EndOperation of the last operation ────────┤          its final completion: unregister (the token is
///                                                              │          retired only now), drop the ring's fd reference
///                            last fd reference let go ─────────┤
///             (reactor, a flush in flight, the ring)           ▼
///                                    ReleaseIo ──► FdClosed   exactly once: close(fd)
///                                                              │
///   dispatch:  Idle ⇄ Running ──► Retired ─────────────────────┤  both claims dropped
///              (TryStartDispatch / EndDispatch;                ▼
///               TryRetireIdleDispatch, RetireRunningDispatch)  BuffersFreed   exactly once: buffers to the pool
///              Idle ──HoldDispatch──► Held ──ReleaseHeldDispatch──► Running   (a transform's handshake:
///                                      └──TryRetireHeldDispatch──► Retired     OnConnect waits for it)
///
///   operations (completion backend, poller thread): 0 ──BeginOperation──► n ──EndOperation (its final completion)──► 0
///              a receive armed is one, a send in flight one; while n > 0 the ring holds one fd reference
/// </code>
/// <para>PeerClosed also ends the input when a transform meets bad bytes after plaintext it decoded (a forged TLS
/// record, a fatal alert after data): <c>MarkPeerClosed(failed: true)</c> adds PeerFailed, and the handler drains
/// what came before them as it does after a FIN, but the drain closes as <see cref="CloseReason.Error"/>.</para>
/// <para>The callbacks (OnDisconnect when the peer ended it, close callbacks, the owner's
/// OnConnectionClosed) are queued by the close path, so they run once too; an inline handler's
/// OnDisconnect runs in the close path itself, on the poller, before the others are queued.</para>
/// <para>Separate words, because they change at different rates: <see cref="_state"/> once or twice per
/// connection, <see cref="_dispatch"/> per handler call, <see cref="_ioRefs"/> per flush syscall,
/// <see cref="_operations"/> per submitted operation (poller only: no atomic operation); backpressure's pause
/// bit sits in <see cref="_state"/>, as it changes only when input reaches a water mark. Keeping the hot
/// ones apart from the rest costs no extra atomic operation per request. <see cref="_state"/> also keeps three facts
/// of the end, each set once: a send's reset errno, that a graceful close's drain is over, and a half-close
/// (ShutdownSend requested, then done) — they were fields of their own, which every idle connection carried.</para>
/// <para>Why a completion backend needs <see cref="_operations"/>: the kernel uses the fd, the receive
/// buffers and the output until an operation's final completion, and closing the fd does not end a
/// multishot receive. So the close path cancels them, and the token and the fd live until the last one
/// reports back.</para>
/// </remarks>
internal struct ConnectionLifecycle
{
    // _state bits. The close reason sits in the bits above them, written in the same CAS as CloseRequested.
    private const int Registered = 1 << 0;      // the poller ran the registration (whether or not it succeeded)
    private const int PeerClosedBit = 1 << 1;   // EOF read: the peer sends nothing more
    private const int CloseRequested = 1 << 2;  // some trigger asked to close; the reason is recorded
    private const int AbortiveBit = 1 << 3;     // close with a reset (SO_LINGER 0), unsent output dropped
    private const int Closing = 1 << 4;         // the close path has started (it runs once)
    private const int HandshakingBit = 1 << 5;  // a transform (TLS) is handshaking: no handler call yet, a dialer waits
    private const int PeerFailedBit = 1 << 6;   // with PeerClosedBit: the peer's stream ended in bad bytes (a transform's), not a FIN
    private const int DrainOverBit = 1 << 7;    // a graceful close's output cannot drain any more (a socket error, a deadline, an abort)
    private const int ReasonShift = 8;          // bits 8..15: the close reason, set once with CloseRequested
    private const int ReasonMask = 0xFF;
    private const int SendResetShift = 16;      // bits 16..23: the errno of a send that met the peer's reset, set once; 0: none
    private const int ErrnoMask = 0xFF;         // errno values are below 256 on Linux and the BSDs
    private const int ShutdownSendBit = 1 << 24;      // ShutdownSend asked for the FIN after the output drains
    private const int ShutdownSendDoneBit = 1 << 25;  // that FIN was sent (by whoever held the flush with the output empty)
    private const int PausedBit = 1 << 26;            // reading is paused by backpressure (any thread sets and clears it, by CAS)

    // _dispatch values.
    private const int DispatchIdle = 0;         // no handler call runs; the next input may start one
    private const int DispatchRunning = 1;      // one handler call runs (or is queued to run)
    private const int DispatchRetired = 2;      // no handler call will ever start again
    private const int DispatchHeld = 3;         // kept for OnConnect until the handshake completes; no call runs

    // _ioRefs: users of the fd. One for the reactor (dropped by the close path), one per syscall in flight,
    // one for the ring while completion-backend operations are in flight.
    private const int FdClosedBit = 1 << 30;

    private int _state;
    private int _dispatch;
    private int _ioRefs;
    private int _bufferClaims;
    private int _operations;   // poller thread only: completion-backend operations in flight

    public ConnectionLifecycle()
    {
        _ioRefs = 1;
        _bufferClaims = 2; // the fd's (FdClosed) and the dispatcher's (Retired)
    }

    // ------------------------------------------------------------------ reading

    public readonly bool IsRegistered => (Volatile.Read(in _state) & Registered) != 0;

    public readonly bool IsPeerClosed => (Volatile.Read(in _state) & PeerClosedBit) != 0;

    /// <summary>How a drain after the peer's end closes: <see cref="CloseReason.PeerClosed"/> after a FIN or close_notify, <see cref="CloseReason.Error"/> after bad bytes.</summary>
    public readonly CloseReason PeerCloseReason => (Volatile.Read(in _state) & PeerFailedBit) != 0 ? CloseReason.Error : CloseReason.PeerClosed;

    public readonly bool IsCloseRequested => (Volatile.Read(in _state) & CloseRequested) != 0;

    public readonly bool IsClosing => (Volatile.Read(in _state) & Closing) != 0;

    public readonly bool IsAbortive => (Volatile.Read(in _state) & AbortiveBit) != 0;

    public readonly bool IsFdOpen => (Volatile.Read(in _ioRefs) & FdClosedBit) == 0;

    public readonly bool IsDispatchRunning => Volatile.Read(in _dispatch) == DispatchRunning;

    /// <summary>A transform's handshake has begun and not completed: the connection is not open for handlers yet.</summary>
    public readonly bool IsHandshaking => (Volatile.Read(in _state) & HandshakingBit) != 0;

    public readonly bool AreBuffersFreed => Volatile.Read(in _bufferClaims) == 0;

    /// <summary>Completion-backend operations (a receive, a send) still in the kernel. Poller thread.</summary>
    public readonly bool HasOperations => _operations > 0;

    /// <summary>The first trigger's reason; <see cref="CloseReason.None"/> until a close is requested.</summary>
    public readonly CloseReason Reason => (CloseReason)((Volatile.Read(in _state) >> ReasonShift) & ReasonMask);

    /// <summary>Reading is paused by backpressure: unread input reached the high-water mark.</summary>
    public readonly bool IsReadingPaused => (Volatile.Read(in _state) & PausedBit) != 0;

    /// <summary>ShutdownSend asked for a FIN that has not been sent yet.</summary>
    public readonly bool IsShutdownSendPending => (Volatile.Read(in _state) & (ShutdownSendBit | ShutdownSendDoneBit)) == ShutdownSendBit;

    /// <summary>A graceful close waiting for its output stops waiting: nothing more can be sent.</summary>
    public readonly bool IsDrainOver => (Volatile.Read(in _state) & DrainOverBit) != 0;

    /// <summary>The errno of the send that met the peer's reset (ECONNRESET, EPIPE); 0 while no send has.</summary>
    public readonly int SendResetErrno => (Volatile.Read(in _state) >> SendResetShift) & ErrnoMask;

    // ------------------------------------------------------------------ Created → Open

    /// <summary>Created → Registered. Poller thread; true the first time only.</summary>
    public bool TryBeginRegistration()
    {
        if ((_state & Registered) != 0)
        {
            return false;
        }

        Interlocked.Or(ref _state, Registered);
        return true;
    }

    /// <summary>
    /// The peer's FIN was read, or (<paramref name="failed"/>) the transform met bad bytes after plaintext it had
    /// decoded: either way the peer sends nothing more. Poller thread; once.
    /// </summary>
    public void MarkPeerClosed(bool failed = false)
    {
        Debug.Assert(!IsPeerClosed, "EOF is read once: the poller stops reading after it.");
        Interlocked.Or(ref _state, failed ? PeerClosedBit | PeerFailedBit : PeerClosedBit);
    }

    /// <summary>Open → Open+Handshaking, at registration of a connection with a transform. Poller thread; once.</summary>
    public void BeginHandshake()
    {
        Debug.Assert(IsRegistered && !IsHandshaking, "The handshake begins once, at registration.");
        Interlocked.Or(ref _state, HandshakingBit);
    }

    /// <summary>Open+Handshaking → Open: the handshake completed and was verified. Poller thread; once.</summary>
    public void EndHandshake()
    {
        Debug.Assert(IsHandshaking, "Only a handshake that began ends.");
        Interlocked.And(ref _state, ~HandshakingBit);
    }

    // ------------------------------------------------------------------ → CloseRequested → Closing

    /// <summary>Any thread, any number of times: true for the first caller only, whose <paramref name="reason"/> is recorded.</summary>
    public bool TryRequestClose(CloseReason reason)
    {
        Debug.Assert(reason != CloseReason.None, "A close has a reason.");
        while (true)
        {
            int state = Volatile.Read(ref _state);
            if ((state & CloseRequested) != 0)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref _state, state | CloseRequested | ((int)reason << ReasonShift), state) == state)
            {
                return true;
            }
        }
    }

    /// <summary>Makes the close a reset (Abort, a forced shutdown). Any thread, before or after the request; read by the close path.</summary>
    public void MarkAbortive() => Interlocked.Or(ref _state, AbortiveBit);

    /// <summary>The output cannot drain any more: a graceful close stops waiting for it. Any thread, any number of times.</summary>
    public void MarkDrainOver() => Interlocked.Or(ref _state, DrainOverBit);

    /// <summary>A send met the peer's reset with <paramref name="errno"/>. Any thread; true for the first caller only, whose errno is kept.</summary>
    public bool TryMarkSendReset(int errno)
    {
        Debug.Assert(errno is > 0 and <= ErrnoMask, "An errno fits the byte it is kept in.");
        while (true)
        {
            int state = Volatile.Read(ref _state);
            if (((state >> SendResetShift) & ErrnoMask) != 0)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref _state, state | (errno << SendResetShift), state) == state)
            {
                return true;
            }
        }
    }

    /// <summary>Reading → paused (backpressure). Any thread; true for the caller that paused it.</summary>
    public bool TryPauseReading() => (Interlocked.Or(ref _state, PausedBit) & PausedBit) == 0;

    /// <summary>Paused → reading. Any thread; true for the caller that resumed it (the close path too, to count it off).</summary>
    public bool TryResumeReading() => (Interlocked.And(ref _state, ~PausedBit) & PausedBit) != 0;

    /// <summary>None → ShutdownSend requested. Any thread; true for the first caller only.</summary>
    public bool TryRequestShutdownSend() => (Interlocked.Or(ref _state, ShutdownSendBit) & ShutdownSendBit) == 0;

    /// <summary>Requested → Done: the caller sends the FIN. The flush owner; true exactly once, and only after a request.</summary>
    public bool TryMarkShutdownSendDone()
    {
        while (true)
        {
            int state = Volatile.Read(ref _state);
            if ((state & (ShutdownSendBit | ShutdownSendDoneBit)) != ShutdownSendBit)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref _state, state | ShutdownSendDoneBit, state) == state)
            {
                return true;
            }
        }
    }

    /// <summary>CloseRequested → Closing. Poller thread; true exactly once, for the one close path.</summary>
    public bool TryBeginClosePath()
    {
        Debug.Assert(IsCloseRequested, "The close path runs only for a requested close.");
        int before = Interlocked.Or(ref _state, Closing);
        return (before & Closing) == 0;
    }

    // ------------------------------------------------------------------ the fd

    /// <summary>Takes a reference on the fd for a syscall; false once the close path began or the fd closed.</summary>
    public bool TryAcquireIo()
    {
        while (true)
        {
            int refs = Volatile.Read(ref _ioRefs);
            if ((refs & FdClosedBit) != 0 || IsClosing)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref _ioRefs, refs + 1, refs) == refs)
            {
                return true;
            }
        }
    }

    /// <summary>
    /// Drops a reference (a finished syscall, the ring's when its last operation ended, or the reactor's own
    /// at close). True exactly once: for the
    /// release that leaves the fd unused after the close path began; the caller then closes the fd.
    /// </summary>
    public bool ReleaseIo()
    {
        int left = Interlocked.Decrement(ref _ioRefs);
        Debug.Assert(left >= 0, "An fd reference was released twice.");
        if (left != 0)
        {
            return false;
        }

        // Zero only after the reactor's reference went, which the close path alone drops.
        Debug.Assert(IsClosing, "The fd is left unused only after the close path started.");
        return Interlocked.CompareExchange(ref _ioRefs, FdClosedBit, 0) == 0;
    }

    // ------------------------------------------------------------------ operations in the kernel

    /// <summary>
    /// An operation was submitted for the fd (completion backend). Poller thread, before the close path.
    /// The first one takes the ring's fd reference: the fd stays open until the last one ends.
    /// </summary>
    public void BeginOperation()
    {
        Debug.Assert(!IsClosing, "The close path cancels operations; none starts after it.");
        if (_operations++ == 0)
        {
            Interlocked.Increment(ref _ioRefs);
        }
    }

    /// <summary>
    /// An operation's final completion arrived. Poller thread. True for the last one: the caller retires the
    /// token if the close path has begun, then drops the ring's fd reference (<see cref="ReleaseIo"/>).
    /// </summary>
    public bool EndOperation()
    {
        Debug.Assert(_operations > 0, "An operation ended that never began.");
        return --_operations == 0;
    }

    // ------------------------------------------------------------------ dispatch

    /// <summary>Idle → Running: this caller runs the handler. Any thread (the poller, or a handler going round again).</summary>
    public bool TryStartDispatch() => Interlocked.CompareExchange(ref _dispatch, DispatchRunning, DispatchIdle) == DispatchIdle;

    /// <summary>Idle → Running for the first call (OnConnect), which takes the slot at registration. Poller thread.</summary>
    public void StartFirstDispatch()
    {
        Debug.Assert(Volatile.Read(ref _dispatch) == DispatchIdle, "OnConnect runs before any other handler call.");
        Volatile.Write(ref _dispatch, DispatchRunning);
    }

    /// <summary>Idle → Held: the first call (OnConnect) waits for the handshake; no other call may start. Poller thread, at registration.</summary>
    public void HoldDispatch()
    {
        Debug.Assert(Volatile.Read(ref _dispatch) == DispatchIdle, "The dispatch slot is held before any handler call.");
        Volatile.Write(ref _dispatch, DispatchHeld);
    }

    /// <summary>Held → Running: the handshake completed, OnConnect runs now. Poller thread.</summary>
    public void ReleaseHeldDispatch()
    {
        Debug.Assert(Volatile.Read(ref _dispatch) == DispatchHeld, "Only a held slot is released.");
        Volatile.Write(ref _dispatch, DispatchRunning);
    }

    /// <summary>Held → Retired: the connection closed before its handshake completed, so no call will ever run. Poller thread (the close path).</summary>
    public bool TryRetireHeldDispatch()
    {
        Debug.Assert(IsCloseRequested, "A held slot retires only when the connection is ending.");
        return Interlocked.CompareExchange(ref _dispatch, DispatchRetired, DispatchHeld) == DispatchHeld;
    }

    /// <summary>Running → Idle: the handler call ended and nothing is left for it. The handler's thread.</summary>
    /// <remarks>
    /// A full fence (the exchange), because the caller reads <see cref="IsCloseRequested"/> next: a closer stores its
    /// request and then tries Idle → Retired, the handler stores Idle and then reads the request — each a store then a
    /// load of the other's word, so one of the two sees the other. A plain release store could pass the load.
    /// </remarks>
    public void EndDispatch()
    {
        int was = Interlocked.Exchange(ref _dispatch, DispatchIdle);
        Debug.Assert(was == DispatchRunning, "Only the running handler ends its dispatch.");
    }

    /// <summary>Idle → Retired: no handler runs, and none will start again. Any thread; true for the one that retired it.</summary>
    public bool TryRetireIdleDispatch()
    {
        Debug.Assert(IsCloseRequested || IsPeerClosed, "Dispatch retires only when the connection is ending.");
        return Interlocked.CompareExchange(ref _dispatch, DispatchRetired, DispatchIdle) == DispatchIdle;
    }

    /// <summary>Running → Retired: the running handler saw the close (or failed). The handler's thread.</summary>
    public void RetireRunningDispatch()
    {
        Debug.Assert(Volatile.Read(ref _dispatch) == DispatchRunning, "Only the running handler retires a running dispatch.");
        Debug.Assert(IsCloseRequested, "A running handler retires only after a close was requested.");
        Volatile.Write(ref _dispatch, DispatchRetired);
    }

    // ------------------------------------------------------------------ the buffers

    /// <summary>
    /// Drops one of the two claims on the buffers: the fd's once it closed, the dispatcher's once it retired.
    /// True exactly once, for whichever dropped last: no handler and no syscall can touch the buffers now.
    /// </summary>
    public bool DropBufferClaim()
    {
        int left = Interlocked.Decrement(ref _bufferClaims);
        Debug.Assert(left >= 0, "A buffer claim was dropped twice.");
        return left == 0;
    }
}
