using System.Diagnostics;
using Netpoll.Interop;

namespace Netpoll.Polling;

/// <summary>
/// The completion backend on io_uring. One ring per poller, created on the poller's thread, which is its
/// single issuer: every submission, registration and reap happens there. A loop turn is one
/// io_uring_enter: it publishes the receive buffers given back since the last turn, submits everything the
/// last turn prepared (sends, receives, accepts, cancels) and waits for completions, with the timer
/// wheel's timeout.
/// </summary>
/// <remarks>
/// <para>user_data = operation (4 bits, <see cref="IoOperation"/>) | the registration's token (generation
/// 28 bits, slot 32 bits). A completion for a retired token is dropped, but its receive buffer is
/// recycled: a buffer is never lost.</para>
/// <para>Connections' receives and sends name a registered-file slot (<see cref="IoUringFixedFiles"/>)
/// when the kernel gave the ring a file table: one FILES_UPDATE SQE installs the socket ahead of its first
/// operation and one empties the slot when the registration goes.</para>
/// <para>Wake-ups: another thread writes an eventfd that a multishot poll watches (it needs no read to
/// fire again, so the poller spends no syscall on it).</para>
/// <para>Every operation that will post a final completion is counted in <see cref="_inFlight"/>;
/// <see cref="Drain"/> cancels them all at the end and reaps until none is left, so the kernel writes into
/// no buffer after the ring is gone.</para>
/// </remarks>
internal sealed unsafe class IoUringBackend : CompletionBackend
{
    private const int OperationShift = 60;
    private const ulong TokenMask = (1UL << OperationShift) - 1;
    private const int MaxReap = 16384;
    private const int DrainMs = 2000;
    private const int SettleMs = 500; // of DrainMs: for what is ending anyway, before the catch-all cancel

    private static readonly List<byte[]> s_abandoned = []; // slabs the kernel may still write into: never freed

    private readonly IoUringRing _ring;
    private readonly IoUringBufferRing _buffers;
    private readonly IoUringSendVectors _sendVectors = new();
    private readonly IoUringReadiness _readiness = new();
    private readonly IoUringFixedFiles? _files;
    private IoUringLostReceiveEnds? _lostEnds; // fault injection only (LoseReceiveErrors): null outside tests
    private readonly int _wakeFd;
    private IoUringCqe[] _completions = new IoUringCqe[256];
    private int _inFlight;   // operations that will still post a final completion
    private bool _draining;
    private bool _disposed;

    private IoUringBackend(IoUringRing ring, IoUringBufferRing buffers, IoUringFixedFiles? files, int wakeFd)
    {
        _ring = ring;
        _buffers = buffers;
        _files = files;
        _wakeFd = wakeFd;
        ArmWake();
    }

    /// <summary>Receive slabs kept for good because a drain ended with operations still in the kernel (0 unless a stop went wrong).</summary>
    internal static int AbandonedSlabs
    {
        get
        {
            lock (s_abandoned)
            {
                return s_abandoned.Count;
            }
        }
    }

    public override string Name => "io_uring";

    public override PollerBackendKind Kind => PollerBackendKind.IoUring;

    /// <summary>The flags the kernel gave the ring (SINGLE_ISSUER, DEFER_TASKRUN, SQPOLL...), for diagnostics.</summary>
    public IoUringSetupFlags SetupFlags => _ring.SetupFlags;

    public override long HeldBufferBytes => (long)_buffers.Held * _buffers.BufferSize;

    public override bool HasFreeBuffers => _buffers.Held < _buffers.Count;

    public override bool BuffersScarce => _buffers.Held >= _buffers.Count / 2;

    public override bool HasForeignReturns => _buffers.HasForeignReturns;

    public override void WakeOnForeignReturns(Action wake) => _buffers.ForeignReturned = wake;

    /// <summary>
    /// Sets up the ring and its receive buffers on the calling thread, which becomes the issuer.
    /// Throws <see cref="IoUringUnavailableException"/> with the kernel's reason when it refuses.
    /// </summary>
    public static IoUringBackend Create(IoUringOptions options)
    {
        var ringOptions = new IoUringRingOptions { Entries = options.SubmissionEntries, SubmissionPolling = options.SubmissionPolling };
        IoUringSupport support = IoUringRing.TryCreate(ringOptions, out IoUringRing? ring);
        if (ring is null)
        {
            throw new IoUringUnavailableException(support);
        }

        IoUringBufferRing? buffers = null;
        try
        {
            support = IoUringBufferRing.TryRegister(ring, groupId: 0, options.ReceiveBuffers, options.ReceiveBufferSize, out buffers);
            if (buffers is null)
            {
                throw new IoUringUnavailableException(support);
            }

            int wakeFd = Epoll.EventFd(0, Epoll.EFD_NONBLOCK | Epoll.EFD_CLOEXEC);
            if (wakeFd < 0)
            {
                throw SocketErrors.Last("eventfd");
            }

            return new IoUringBackend(ring, buffers, IoUringFixedFiles.TryRegister(ring), wakeFd);
        }
        catch
        {
            ring.Dispose();
            buffers?.Dispose();
            throw;
        }
    }

    // ------------------------------------------------------------------ the loop turn

    public override int Wait(int timeoutMs)
    {
        _buffers.PublishReturned();
        // A turn that must not sleep still enters: it submits, and with DEFER_TASKRUN it is the only way
        // completions get posted.
        _ring.SubmitAndWait(minComplete: timeoutMs == 0 ? 0u : 1u, timeoutMs);
        int count = _ring.Reap(_completions);
        while (count == _completions.Length && _completions.Length < MaxReap)
        {
            Array.Resize(ref _completions, _completions.Length * 2);
            count += _ring.Reap(_completions.AsSpan(count));
        }

        if (_ring.CompletionsOverflowed)
        {
            // The kernel keeps what did not fit (FEAT_NODROP) and the next enter flushes it: nothing is lost.
            OverflowedTurns++;
        }

        return count;
    }

    /// <summary>Loop turns that ended with completions still waiting in the kernel's overflow list (a CQ too small for a burst). Poller thread.</summary>
    internal long OverflowedTurns { get; private set; }

    public override void Dispatch(int count, Poller poller)
    {
        for (int i = 0; i < count; i++)
        {
            IoUringCqe cqe = _completions[i];
            var operation = (IoOperation)(cqe.UserData >> OperationShift);
            ulong token = cqe.UserData & TokenMask;
            if (_lostEnds is not null && operation == IoOperation.Receive && !cqe.HasMore && cqe.Result < 0 && _lostEnds.TryLose(token, cqe.Result))
            {
                continue; // fault injection: the end is held back, the receive still counts as in flight
            }

            if (!cqe.HasMore && operation is not (IoOperation.Cancel or IoOperation.FilesUpdate))
            {
                _inFlight--;
            }

            switch (operation)
            {
                case IoOperation.Wake:
                    if (!cqe.HasMore && !_draining)
                    {
                        ArmWake(); // the multishot poll ended (CQ overflow): watch the eventfd again
                    }

                    poller.OnWoken();
                    break;
                case IoOperation.Poll:
                    _readiness.OnCompleted(this, token, cqe.Result, poller);
                    break;
                case IoOperation.Cancel:
                    break; // a cancel's own result: what it cancelled reports through its own completion
                case IoOperation.FilesUpdate:
                    // Only a failure posts one. The operation queued behind the install fails with EBADF and
                    // closes its connection; later operations name plain fds.
                    Trace.TraceWarning($"netpoll io_uring: a registered-file update failed (errno {-cqe.Result}); using plain fds from now on.");
                    _files!.Disable();
                    break;
                default:
                    Deliver(cqe, operation, token, poller);
                    break;
            }
        }
    }

    private void Deliver(in IoUringCqe cqe, IoOperation operation, ulong token, Poller poller)
    {
        if (operation == IoOperation.Send)
        {
            _sendVectors.Release((int)(uint)token);
        }

        if (cqe.HasBuffer)
        {
            _buffers.Take(cqe.BufferId);
        }

        if (!poller.DeliverCompletion(token, new Completion(operation, cqe.Result, cqe.Flags)) && cqe.HasBuffer)
        {
            _buffers.Recycle(cqe.BufferId); // nobody to hand it to: straight back to the ring
        }
    }

    public override void Wake()
    {
        ulong one = 1;
        _ = Libc.Write(_wakeFd, (byte*)&one, sizeof(ulong));
    }

    // ------------------------------------------------------------------ operations

    public override void Receive(int fd, ulong token)
    {
        int slot = FixedSlot(fd, token);
        IoUringSqe* sqe = Prepare();
        sqe->PrepareRecvProvided(fd, _buffers.GroupId, multishot: true, Tag(IoOperation.Receive, token));
        UseSlot(sqe, slot);
        _inFlight++;
        _lostEnds?.Armed(fd, token);
    }

    public override void WatchHangup(int fd, ulong token)
    {
        int slot = FixedSlot(fd, token);
        IoUringSqe* sqe = Prepare();
        sqe->PreparePollAdd(fd, Epoll.EPOLLRDHUP | Epoll.EPOLLERR | Epoll.EPOLLHUP, multishot: false, Tag(IoOperation.HangupPoll, token));
        UseSlot(sqe, slot);
        _inFlight++;
    }

    /// <summary>
    /// Fault injection for tests: while set, the first receive of each registration armed from then on that ends with the
    /// peer's reset (−ECONNRESET) loses that end — it stays armed as far as the engine can tell, as the kernel leaves a
    /// multishot receive that missed the reset's wake-up — until it is cancelled, when it ends with −ECANCELED. Set it
    /// before the connections register. Poller thread only.
    /// </summary>
    internal bool LoseReceiveErrors
    {
        get => _lostEnds is not null;
        set => _lostEnds = value ? _lostEnds ?? new IoUringLostReceiveEnds() : null;
    }

    /// <summary>
    /// Fault injection for tests: this many of the next sends complete with −EAGAIN, untried (posted back to this
    /// ring with MSG_RING), as the kernel completes a send whose poll retries ran out on a starved machine.
    /// Poller thread only.
    /// </summary>
    internal int SendsToRefuse { get; set; }

    public override void Send(int fd, ulong token, ReadOnlySpan<IoVector> vectors)
    {
        ulong userData = Tag(IoOperation.Send, token);
        if (SendsToRefuse > 0)
        {
            SendsToRefuse--;
            IoUringSqe* refused = Prepare();
            refused->PrepareMessageRing(_ring.Fd, unchecked((uint)-IoUring.EAGAIN), userData, Tag(IoOperation.Cancel, 0));
            refused->Flags |= IoUringSqe.IOSQE_CQE_SKIP_SUCCESS;
            _inFlight++;
            return;
        }

        int slot = FixedSlot(fd, token);
        IoUringSqe* sqe = Prepare();
        if (vectors.Length == 1)
        {
            sqe->PrepareSend(fd, vectors[0].Base, (uint)vectors[0].Length, SocketConstants.MSG_NOSIGNAL, userData);
        }
        else
        {
            sqe->PrepareSendMsg(fd, _sendVectors.Take((int)(uint)token, vectors), SocketConstants.MSG_NOSIGNAL, userData);
        }

        UseSlot(sqe, slot);
        _inFlight++;
    }

    public override void Accept(int listenerFd, ulong token)
    {
        Prepare()->PrepareAccept(listenerFd, SocketConstants.SOCK_NONBLOCK | SocketConstants.SOCK_CLOEXEC, multishot: false, Tag(IoOperation.Accept, token));
        _inFlight++;
    }

    public override void Cancel(ulong token, IoOperation operation)
    {
        if (operation == IoOperation.Receive && _lostEnds?.TakeByToken(token) is true)
        {
            PostCancelled(token);
        }

        IoUringSqe* sqe = Prepare();
        sqe->PrepareCancel(Tag(operation, token), 0, Tag(IoOperation.Cancel, 0));
        sqe->Flags |= IoUringSqe.IOSQE_CQE_SKIP_SUCCESS;
    }

    public override void CancelAll(int fd)
    {
        while (_lostEnds?.TakeByFd(fd) is ulong lost)
        {
            PostCancelled(lost);
        }

        IoUringSqe* sqe = Prepare();
        sqe->PrepareCancelFd(fd, Tag(IoOperation.Cancel, 0));
        sqe->Flags |= IoUringSqe.IOSQE_CQE_SKIP_SUCCESS;
    }

    public override ProvidedBuffer ReceivedBuffer(ushort bufferId) => _buffers.Buffer(bufferId);

    /// <summary>A single-shot readiness poll (for <see cref="IoUringReadiness"/>).</summary>
    internal void Poll(int fd, ulong token, uint events)
    {
        Prepare()->PreparePollAdd(fd, events, multishot: false, Tag(IoOperation.Poll, token));
        _inFlight++;
    }

    // ------------------------------------------------------------------ readiness registrations

    public override void Add(int fd, ulong token, Interest interest) => _readiness.Add(this, fd, token, interest);

    public override void Modify(int fd, ulong token, Interest interest) => _readiness.Modify(this, token, interest);

    public override void Remove(int fd, ulong token)
    {
        _readiness.Remove(this, token);
        if (!_disposed && _files is not null && _files.TryRelease(fd, token, out int* empty))
        {
            // The slot holds the socket: empty it at the next enter, or the socket outlives close(fd).
            PrepareFilesUpdate(fd, empty, token);
        }
    }

    // ------------------------------------------------------------------ the end

    /// <summary>Cancels everything still in the kernel and delivers the final completions, bounded in time.</summary>
    public override void Drain(Poller poller)
    {
        _draining = true;
        while (_lostEnds?.TakeAny() is ulong lost)
        {
            PostCancelled(lost);
        }

        long until = Environment.TickCount64 + DrainMs;
        SettleCancelled(poller, Math.Min(until, Environment.TickCount64 + SettleMs));
        if (_inFlight > 0)
        {
            IoUringSqe* sqe = Prepare();
            sqe->PrepareCancel(0, IoUringSqe.IORING_ASYNC_CANCEL_ANY | IoUringSqe.IORING_ASYNC_CANCEL_ALL, Tag(IoOperation.Cancel, 0));
            sqe->Fd = -1;
        }

        while (_inFlight > 0 && Environment.TickCount64 < until)
        {
            int count = Wait(timeoutMs: 50);
            Dispatch(count, poller);
        }

        // Slots emptied by the last completions: hand those updates over now, so the sockets close before the ring does.
        _ = _ring.Submit();

        if (_inFlight > 0)
        {
            // The kernel still holds operations that name our buffers: keep the slab alive for good rather
            // than let the GC hand its memory to someone else while the kernel may write into it.
            Trace.TraceWarning($"netpoll io_uring: {_inFlight} operations did not end within {DrainMs} ms of stopping; keeping their receive buffers.");
            lock (s_abandoned)
            {
                s_abandoned.Add(_buffers.Slab);
            }
        }
    }

    /// <summary>
    /// Reaps, until a turn brings nothing or <paramref name="untilMs"/>, the completions of operations that are ending anyway:
    /// those the connections closed just before the stop cancelled. The kernel posts them a few (20) task-work items per
    /// enter, and until then they stay in its cancel table — where the catch-all cancel after this would find them again:
    /// it rescans the table from the start for each request it cancels, so its cost is the square of what is still in
    /// flight (9,000 connections closed as their poller stopped cost it ~0.5 s).
    /// </summary>
    private void SettleCancelled(Poller poller, long untilMs)
    {
        while (_inFlight > 0 && Environment.TickCount64 < untilMs)
        {
            int count = Wait(timeoutMs: 0);
            if (count == 0)
            {
                return;
            }

            Dispatch(count, poller);
        }
    }

    public override void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        // The ring first: closing it ends whatever the kernel still had, then the buffer ring's entries can go.
        _ring.Dispose();
        _buffers.Dispose();
        _files?.Dispose();
        _ = Libc.Close(_wakeFd);
        if (_inFlight == 0)
        {
            _sendVectors.Dispose(); // else the kernel may still read an iovec: leave those few blocks
        }
    }

    /// <summary>
    /// The registered-file slot an operation of <paramref name="token"/> on <paramref name="fd"/> names, or −1 for
    /// the plain fd. A first use queues the install here, so it reaches the kernel ahead of the operation.
    /// </summary>
    private int FixedSlot(int fd, ulong token)
    {
        if (_files is null)
        {
            return -1;
        }

        int slot = _files.Slot(fd, token, out int* install);
        if (install is not null)
        {
            PrepareFilesUpdate(slot, install, token);
        }

        return slot;
    }

    private static void UseSlot(IoUringSqe* sqe, int slot)
    {
        if (slot >= 0)
        {
            sqe->UseFixedFile(slot);
        }
    }

    private void PrepareFilesUpdate(int slot, int* value, ulong token)
    {
        IoUringSqe* sqe = Prepare();
        sqe->PrepareFilesUpdate(value, 1, slot, Tag(IoOperation.FilesUpdate, token));
        sqe->Flags |= IoUringSqe.IOSQE_CQE_SKIP_SUCCESS;
    }

    /// <summary>Completes a receive whose end was lost (fault injection) with −ECANCELED, as cancelling a stuck one does: posted to this ring.</summary>
    private void PostCancelled(ulong token)
    {
        IoUringSqe* sqe = Prepare();
        sqe->PrepareMessageRing(_ring.Fd, unchecked((uint)-IoUring.ECANCELED), Tag(IoOperation.Receive, token), Tag(IoOperation.Cancel, 0));
        sqe->Flags |= IoUringSqe.IOSQE_CQE_SKIP_SUCCESS;
    }

    private static ulong Tag(IoOperation operation, ulong token) => ((ulong)operation << OperationShift) | token;

    private void ArmWake()
    {
        Prepare()->PreparePollAdd(_wakeFd, Epoll.EPOLLIN, multishot: true, Tag(IoOperation.Wake, WakeToken));
        _inFlight++;
    }

    /// <summary>An SQE for the next enter. A full SQ is submitted early; one the kernel will not take is an overload.</summary>
    private IoUringSqe* Prepare()
    {
        IoUringSqe* sqe = _ring.GetSqe();
        if (sqe is null)
        {
            // The kernel took nothing (EBUSY: completions backed up). Let it post them, then try once more.
            _ = _ring.SubmitAndWait(minComplete: 0, timeoutMs: 0);
            sqe = _ring.GetSqe();
        }

        return sqe is not null ? sqe : throw new IoUringException("io_uring_get_sqe (submission queue full)", IoUring.EBUSY);
    }
}
