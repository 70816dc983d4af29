using System.Diagnostics;
using Netpoll.Buffers;
using Netpoll.Interop;
using Netpoll.Polling;
using Netpoll.Diagnostics;

namespace Netpoll.Connections;

/// <summary>
/// The write side. FlushAsync writes on the caller's thread; only when the socket would block does it
/// arm write interest and let the poller finish. One flusher at a time owns the output's reader side.
/// On a completion backend a flush on the poller thread (an inline handler's) hands the output to the
/// ring instead, sent in the loop turn's one enter (Connection.Completion.cs).
/// </summary>
public sealed partial class Connection
{
    private const int MaxVectors = 64;
    private const int FlushIdle = 0;
    private const int FlushBusy = 1;

    /// <summary>
    /// Serializes Writer calls, publishing, and freeing the buffers, across tasks: the output buffer's own monitor.
    /// Its lock word is the header of an object every write touches anyway, where a gate object of its own was one
    /// more cold cache line per round trip (and 40 B per connection). The output never leaves the connection, so
    /// nothing else locks it.
    /// </summary>
    internal object WriteGate => _output;

    /// <summary>The output buffer, for a writer call holding <see cref="WriteGate"/>; throws once closed.</summary>
    internal LinkBuffer WritableOutput()
    {
        ThrowIfClosed("Write");
        return _output;
    }

    private enum WriteOutcome
    {
        Drained,
        WouldBlock,
        Failed,
    }

    internal ValueTask FlushAsync(CancellationToken cancellationToken)
    {
        ThrowIfClosed("FlushAsync");
        lock (WriteGate)
        {
            _output.Flush();
        }

        return SendPublished(cancellationToken);
    }

    /// <summary>An AppendFrom and a flush whose publish shares the append's hold of the write gate (one acquisition, not two).</summary>
    internal ValueTask AppendFromAndFlushAsync(LinkBuffer input, int n, CancellationToken cancellationToken)
    {
        lock (WriteGate)
        {
            LinkBuffer output = WritableOutput();
            output.AppendFrom(input, n);
            output.Flush();
        }

        return SendPublished(cancellationToken);
    }

    /// <summary>The rest of a flush, once its bytes are published: send them now, and wait while more than the high-water mark is unsent.</summary>
    private ValueTask SendPublished(CancellationToken cancellationToken)
    {
        if (!_lifecycle.TryAcquireIo())
        {
            throw ClosedException("FlushAsync");
        }

        try
        {
            TryWriteNow();
        }
        finally
        {
            ReleaseIo();
        }

        int unsent = UnsentBytes;
        if (unsent <= _options.OutputHighWaterMark)
        {
            return !_lifecycle.IsCloseRequested || unsent == 0 ? default : ValueTask.FromException(ClosedException("FlushAsync"));
        }

        return WaitForDrain(cancellationToken);
    }

    /// <summary>Output not yet handed to the kernel: a ring send in flight has its bytes already (0 on epoll and kqueue).</summary>
    private int PendingOutput => SocketOutput.Length - Volatile.Read(ref _sending);

    /// <summary>Writes what is published while this thread can own the flush and the socket takes it.</summary>
    private void TryWriteNow()
    {
        while (HasOutputToSend && Interlocked.CompareExchange(ref _flushOwner, FlushBusy, FlushIdle) == FlushIdle)
        {
            if (_ring is not null && Poller.IsPollerThread)
            {
                SubmitSend(); // the ring owns the flush until the send's completion
                return;
            }

            WriteOutcome outcome = WriteOutput();
            if (outcome == WriteOutcome.WouldBlock)
            {
                // Ownership passes to the poller until the socket drains: FlushFromPoller (or, on a
                // completion backend, the ring's send) gives it back.
                Interlocked.Increment(ref Poller.Counters[PollerCounter.WaitedFlushes]);
                ArmWrite(true);
                return;
            }

            ReleaseFlush();
            if (outcome == WriteOutcome.Failed)
            {
                return;
            }
        }

        if (_lifecycle.IsShutdownSendPending)
        {
            ShutdownSendIfDrained(); // the FIN a ShutdownSend left for the flush that drains the output
        }
    }

    /// <summary>Write readiness: continue the flush the caller could not finish. Poller thread.</summary>
    private void FlushFromPoller()
    {
        if (!_writeArmed || Volatile.Read(ref _flushOwner) != FlushBusy)
        {
            return;
        }

        Debug.Assert(Poller.IsPollerThread, "A flush handed to the poller continues on the poller thread.");

        WriteOutcome outcome = WriteOutput();
        if (outcome == WriteOutcome.WouldBlock)
        {
            return;
        }

        ArmWrite(false);
        ReleaseFlush();
        if (outcome == WriteOutcome.Drained)
        {
            TryWriteNow(); // bytes published while we wrote, by a caller that saw the flush busy
        }
    }

    /// <summary>
    /// Gives up the flush. A full fence, not a release store: the owner reads the output's length next, and a
    /// writer publishes then tries to take the flush; with a plain store both could miss each other (a
    /// store-load reorder) and published bytes would wait for the next flush.
    /// </summary>
    private void ReleaseFlush()
    {
        Interlocked.Exchange(ref _flushOwner, FlushIdle);
        ResumeCloseAfterFlush(); // a graceful close may wait for this flush (Connection.CloseDrain.cs)
    }

    /// <summary>sendmsg until the output is empty or the socket would block. The caller owns the flush.</summary>
    private unsafe WriteOutcome WriteOutput()
    {
        PinnedSegment* segments = stackalloc PinnedSegment[MaxVectors];
        IoVector* vectors = stackalloc IoVector[MaxVectors];
        LinkBuffer output = SocketOutput;
        int errno = 0;
        long written = 0;
        try
        {
            while (true)
            {
                if (_transform is not null)
                {
                    EncodeOutput(); // plaintext → raw output, a bounded amount ahead of the socket
                }

                int count = output.GetReadableSegments(new Span<PinnedSegment>(segments, MaxVectors), out int bytes);
                if (count == 0)
                {
                    return WriteOutcome.Drained;
                }

                for (int i = 0; i < count; i++)
                {
                    vectors[i] = new IoVector(segments[i].Pointer, segments[i].Length);
                }

                MessageHeader message = default;
                message.Vectors = vectors;
                message.VectorCount = (nuint)count;
                nint n = Libc.SendMsg(Fd, &message, SocketConstants.MSG_NOSIGNAL);
                Interlocked.Increment(ref Poller.Counters[PollerCounter.WriteCalls]);
                if (n > 0)
                {
                    output.Skip((int)n);
                    output.Release();
                    written += n;
                    if (n < bytes)
                    {
                        return WriteOutcome.WouldBlock; // the socket buffer is full; EAGAIN would follow
                    }

                    continue;
                }

                errno = Libc.LastError;
                if (errno == Errno.EINTR)
                {
                    continue;
                }

                if (errno == Errno.EAGAIN)
                {
                    return WriteOutcome.WouldBlock;
                }

                return WriteOutcome.Failed;
            }
        }
        finally
        {
            if (written > 0)
            {
                Interlocked.Add(ref Poller.Counters[PollerCounter.BytesOut], written);
                _deadlines.Touch(Environment.TickCount64);

                // Whoever moves bytes releases the FlushAsync calls waiting for the output to drain,
                // including those of tasks that published while another thread owned the flush.
                CompleteFlushWaitersIfBelowMark();
            }

            if (errno == Errno.ECONNRESET || errno == Errno.EPIPE)
            {
                OnSendReset(errno); // what the peer sent before its reset is read before the close
            }
            else if (errno != 0 && errno != Errno.EAGAIN && errno != Errno.EINTR)
            {
                RequestClose(CloseReason.Error);
            }
        }
    }

    private void ArmWrite(bool armed)
    {
        lock (InterestGate)
        {
            _writeArmed = armed;
        }

        UpdateInterest();
    }

    private ValueTask WaitForDrain(CancellationToken cancellationToken)
    {
        // Several tasks may wait at once: each gets its own pooled signal.
        AsyncSignal? signal = null;
        ValueTask wait;
        List<AsyncSignal> waiters = LazyInitializer.EnsureInitialized(ref _flushWaiters);
        lock (waiters)
        {
            foreach (AsyncSignal idle in waiters)
            {
                if (!idle.IsInUse)
                {
                    signal = idle;
                    break;
                }
            }

            if (signal is null)
            {
                signal = new AsyncSignal();
                waiters.Add(signal);
            }

            wait = signal.Arm(!_runInline, cancellationToken);
        }

        ArmWriteDeadline();

        // The poller may have drained, or the connection closed, before the signal was armed.
        CompleteFlushWaitersIfBelowMark();
        if (_lifecycle.IsClosing)
        {
            CompleteFlushWaiters(ClosedException("FlushAsync"));
        }

        return wait;
    }

    private void CompleteFlushWaitersIfBelowMark()
    {
        if (Volatile.Read(ref _flushWaiters) is null || UnsentBytes > _options.OutputHighWaterMark)
        {
            return;
        }

        ClearWriteDeadline();
        CompleteFlushWaiters(null);
    }

    private void CompleteFlushWaiters(Exception? error)
    {
        if (Volatile.Read(ref _flushWaiters) is not { } waiters)
        {
            return; // no flush ever waited
        }

        lock (waiters)
        {
            foreach (AsyncSignal signal in waiters)
            {
                if (signal.IsWaiting)
                {
                    signal.TrySet(error);
                }
            }
        }
    }
}
