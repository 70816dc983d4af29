using System.Diagnostics;
using System.Runtime.CompilerServices;
using Netpoll.Buffers;
using Netpoll.Diagnostics;
using Netpoll.Interop;
using Netpoll.Polling;

namespace Netpoll.Connections;

/// <summary>
/// The transport on a completion backend (io_uring), all on the poller thread: one multishot receive whose
/// buffers become input nodes without a copy, and the output handed to the ring as one send in flight.
/// Each operation in the kernel counts in the lifecycle (<see cref="ConnectionLifecycle.BeginOperation"/>),
/// so the close path cancels them and the fd closes after their last completion.
/// </summary>
/// <remarks>
/// The rest of the connection does not know which backend runs: received bytes go through
/// <see cref="InputArrived"/> as a read's do; a flush on another thread still writes with sendmsg and only
/// a flush on the poller thread, or one that would block, goes through the ring.
/// </remarks>
public sealed partial class Connection
{
    /// <summary>Input at or above this stops zero-copy receives: buffers are copied out and go straight back to the ring.</summary>
    /// <remarks>A handler waiting for a large message would otherwise keep a ring buffer per 4 KiB it waits for, and starve everyone else's receives.</remarks>
    private const int RingLinkLimit = 64 * 1024;

    /// <summary>How long a receive that found the ring empty waits before it tries again, if no buffer came back meanwhile.</summary>
    private const int RingRetryMs = 10;

    /// <summary>The multishot receive, as the poller thread sees it.</summary>
    private enum RingReceive : byte
    {
        /// <summary>None armed.</summary>
        Off,
        /// <summary>Armed: data arrives as completions.</summary>
        Armed,
        /// <summary>Asked to stop (backpressure); its final completion is coming.</summary>
        Canceling,
        /// <summary>Ended because the ring had no buffer; re-armed on the timer wheel.</summary>
        Parked,
    }

    /// <summary>Arms, cancels or keeps the receive and hands a flush over, to match the connection's state. Poller thread.</summary>
    private void SyncRing()
    {
        Debug.Assert(Poller.IsPollerThread, "Only the poller submits to its ring.");
        if (_lifecycle.IsClosing)
        {
            return; // the close path cancelled everything
        }

        bool wantReceive = !_lifecycle.IsReadingPaused && !_lifecycle.IsPeerClosed && !Poller.IsStopping;
        if (wantReceive && _receive == RingReceive.Off)
        {
            _ring!.Receive(Fd, Token);
            _lifecycle.BeginOperation();
            _receive = RingReceive.Armed;
        }
        else if (!wantReceive && _receive == RingReceive.Armed)
        {
            _ring!.Cancel(Token, IoOperation.Receive);
            _receive = RingReceive.Canceling;
        }

        if (_writeArmed && Volatile.Read(ref _sending) == 0)
        {
            // A flush on another thread would have blocked and handed the output over: the ring sends it.
            lock (InterestGate)
            {
                _writeArmed = false;
            }

            SubmitSend();
        }
    }

    void IPollable.OnCompleted(in Completion completion)
    {
        if (completion.Operation == IoOperation.Receive)
        {
            OnReceiveCompleted(completion);
        }
        else if (completion.Operation == IoOperation.HangupPoll)
        {
            OnHangupPolled(completion.Result);
        }
        else
        {
            OnSendCompleted(completion);
        }
    }

    private void OnReceiveCompleted(in Completion completion)
    {
        int result = completion.Result;
        if (completion.HasBuffer)
        {
            if (result > 0 && !_lifecycle.IsClosing)
            {
                TakeReceived(completion.BufferId, result);
                if (_hangupWatch == HangupWatch.Off && completion.HasMore && !completion.SocketNonEmpty)
                {
                    WatchHangupIfWaiting(); // the kernel will retry this receive only on a wake-up: Connection.HangupWatch.cs
                }
            }
            else
            {
                _ring!.ReceivedBuffer(completion.BufferId).Return();
            }
        }

        if (completion.HasMore)
        {
            return;
        }

        // The receive has ended; what it ended with decides what comes next.
        _receive = RingReceive.Off;
        EndRingOperation();
        if (_lifecycle.IsClosing)
        {
            return;
        }

        if (_lifecycle.SendResetErrno != 0)
        {
            CloseAfterSendReset(); // the receive delivered what it had; the socket may hold the rest (a cancelled receive)
            return;
        }

        if (result == 0)
        {
            OnPeerClosed();
        }
        else if (result == -IoUring.ENOBUFS)
        {
            Poller.Counters[PollerCounter.ReceiveRingExhausted]++;
            if (!_ring!.HasFreeBuffers)
            {
                // Every buffer is held (by slow readers): try again shortly rather than spin on the ring.
                _receive = RingReceive.Parked;
                Poller.Schedule(this, Environment.TickCount64 + RingRetryMs);
                return;
            }

            SyncRing(); // buffers given back this turn are published before the next enter
        }
        else if (result < 0 && result != -IoUring.ECANCELED && result != -IoUring.EINTR && result != -IoUring.EAGAIN)
        {
            CloseOnPoller(CloseReason.Error, -result);
        }
        else
        {
            SyncRing(); // cancelled for backpressure, or ended with data (after a CQ overflow): re-arm if wanted
        }
    }

    /// <summary>
    /// A received buffer joins the input: linked without a copy; or copied, and straight back to the ring,
    /// when much input is already waiting here or the ring runs short (then buffers keep cycling, whoever
    /// waits for more data).
    /// </summary>
    private void TakeReceived(ushort bufferId, int length)
    {
        ProvidedBuffer buffer = _ring!.ReceivedBuffer(bufferId);
        LinkBuffer input = SocketInput; // with a transform, the raw input: InputArrived decodes it as it does a read's
        if (input.Length < RingLinkLimit && !_ring.BuffersScarce)
        {
            // The buffer goes back to the ring when the last view of it is released (ProvidedBuffer.ReleaseHook).
            input.LinkAndPublish(buffer.Received(length), ProvidedBuffer.ReleaseHook, buffer);
        }
        else
        {
            input.WriteBinary(buffer.GetSpan()[..length]);
            input.Flush();
            buffer.Return();
        }

        InputArrived(length);
        PauseIfFull();
    }

    /// <summary>A receive that found the ring empty tries again (timer wheel). Poller thread.</summary>
    private void RetryParkedReceive()
    {
        if (_receive == RingReceive.Parked)
        {
            _receive = RingReceive.Off;
            SyncRing();
        }
    }

    /// <summary>Hands the output's readable bytes to the ring as one send. The caller owns the flush; poller thread.</summary>
    [SkipLocalsInit] // the two 1 KiB vector arrays are written before they are read: zeroing them per send is waste
    private unsafe void SubmitSend()
    {
        if (_lifecycle.IsClosing)
        {
            Volatile.Write(ref _flushOwner, FlushIdle); // the close path dropped the output's last chance already
            return;
        }

        if (_transform is not null)
        {
            EncodeOutput(); // plaintext → raw output, as a write does before its sendmsg
        }

        PinnedSegment* segments = stackalloc PinnedSegment[MaxVectors];
        IoVector* vectors = stackalloc IoVector[MaxVectors];
        int count = SocketOutput.GetReadableSegments(new Span<PinnedSegment>(segments, MaxVectors), out int bytes);
        if (count == 0)
        {
            ReleaseRingFlush();
            return;
        }

        for (int i = 0; i < count; i++)
        {
            vectors[i] = new IoVector(segments[i].Pointer, segments[i].Length);
        }

        _ring!.Send(Fd, Token, new ReadOnlySpan<IoVector>(vectors, count));
        _lifecycle.BeginOperation();
        Volatile.Write(ref _sending, bytes);

        // The send in flight holds the bytes now (they no longer count as unsent): as with a write, the flushes
        // waiting on them may go on, whoever's they are — a flush handed over from another thread included.
        CompleteFlushWaitersIfBelowMark();

        // But the peer has not taken them: until the send completes whole, the write deadline runs (its check counts
        // the bytes in flight; a short completion re-arms it, a whole one clears it). Without this a send the socket
        // had no room for would wait in the kernel for ever, WriteTimeout or not.
        if (_deadlines.Write == 0)
        {
            ArmWriteDeadline();
        }
    }

    private void OnSendCompleted(in Completion completion)
    {
        int submitted = _sending;
        Volatile.Write(ref _sending, 0);
        int result = completion.Result;
        if (!_lifecycle.IsClosing)
        {
            bool socketFull;
            if (result > 0)
            {
                SocketOutput.Skip(result);
                SocketOutput.Release();
                Interlocked.Add(ref Poller.Counters[PollerCounter.BytesOut], result);
                _deadlines.Touch(Poller.TurnStartedMs);
                socketFull = result < submitted;
            }
            else
            {
                // Nothing sent and no error: the kernel gave up waiting for room (its poll retries ran out on a
                // starved machine, liburing#1601) or was interrupted; the socket is as full as a short send says.
                socketFull = result is -IoUring.EAGAIN or -IoUring.EINTR;
            }

            if (result < 0 && result != -IoUring.ECANCELED && !socketFull)
            {
                if (-result == Errno.ECONNRESET || -result == Errno.EPIPE)
                {
                    // Nothing more is sent: the flush stays with the ring until the close path drops the output.
                    _ = _lifecycle.TryMarkSendReset(-result);
                    CloseAfterSendReset();
                }
                else
                {
                    CloseOnPoller(CloseReason.Error, -result);
                }
            }
            else if (HasOutputToSend)
            {
                SubmitSend(); // the rest, and whatever was published meanwhile, before anything else
                if (socketFull)
                {
                    // The rest waits in the kernel for the peer to read: a flush waiting, so the write deadline runs.
                    Interlocked.Increment(ref Poller.Counters[PollerCounter.WaitedFlushes]);
                    ArmWriteDeadline();
                }
            }
            else
            {
                ClearWriteDeadline();
                ReleaseRingFlush();
            }
        }

        EndRingOperation(); // last: it may close the fd and free the output
    }

    /// <summary>The ring's send is done and the output is empty: give the flush back, and take it again for bytes that raced in.</summary>
    private void ReleaseRingFlush()
    {
        ReleaseFlush();
        TryWriteNow();
        CompleteFlushWaitersIfBelowMark(); // nothing left in flight: what the last send held was the kernel's
    }

    /// <summary>
    /// The close path ends each operation this connection has in the kernel, by its own user_data. Not by fd: the
    /// kernel finds a request by fd only by walking every request the ring holds (its cancel table is hashed by
    /// user_data), so closing n connections that way walked n² requests — 14,000 idle connections took seconds to
    /// close, past the stop's bounds, and left sockets open. By user_data it walks one hash bucket. Poller thread.
    /// </summary>
    /// <remarks>
    /// The operations counted in the lifecycle are these three. One may be ending as this runs: a send's completion that
    /// closes (its operation ends as the completion returns) — nothing to cancel for it then, _sending is 0 already.
    /// </remarks>
    private void CancelRingOperations()
    {
        if (_receive == RingReceive.Armed)
        {
            _ring!.Cancel(Token, IoOperation.Receive);
            _receive = RingReceive.Canceling;
        }

        if (_hangupWatch == HangupWatch.Armed)
        {
            _ring!.Cancel(Token, IoOperation.HangupPoll);
        }

        if (_sending != 0)
        {
            _ring!.Cancel(Token, IoOperation.Send);
        }
    }

    /// <summary>An operation's final completion: the last one lets the fd go, and after the close path also the token. Poller thread.</summary>
    private void EndRingOperation()
    {
        if (!_lifecycle.EndOperation())
        {
            return;
        }

        if (_lifecycle.IsClosing)
        {
            Poller.Unregister(Fd, Token); // no completion can name the token any more
        }

        ReleaseIo();
    }
}
