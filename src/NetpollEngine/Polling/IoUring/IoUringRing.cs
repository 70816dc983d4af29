using System.Runtime.InteropServices;
using Netpoll.Interop;

namespace Netpoll.Polling;

/// <summary>
/// One io_uring instance: the submission and completion rings mapped into this process. Hands out
/// SQEs, publishes them and waits in one io_uring_enter, and reaps CQEs.
/// </summary>
/// <remarks>
/// <para>Memory ordering, shared with the kernel (the same pairs liburing uses):
/// the SQ tail is ours, published with a release store after the SQEs are written; the SQ head is the
/// kernel's, read with acquire. The CQ tail is the kernel's, read with acquire before reading CQEs;
/// the CQ head is ours, published with release once the CQEs are copied out.</para>
/// <para>Threading: not thread-safe. With <see cref="IoUringRingOptions.SingleIssuer"/> (the default)
/// only the issuer thread may get SQEs, submit, reap and register; the kernel answers other threads
/// with EEXIST. <see cref="Dispose"/> may run on any thread once the issuer has stopped.</para>
/// </remarks>
internal sealed unsafe class IoUringRing : IDisposable
{
    private readonly int _fd;
    private readonly bool _sqPoll;
    private readonly bool _deferTaskRun;

    private byte* _sqRing;
    private readonly nuint _sqRingSize;
    private byte* _cqRing;        // == _sqRing with IORING_FEAT_SINGLE_MMAP
    private readonly nuint _cqRingSize;
    private IoUringSqe* _sqes;
    private readonly nuint _sqesSize;

    private readonly uint* _sqHead;   // kernel: next SQE it will consume
    private readonly uint* _sqTail;   // us: end of published SQEs
    private readonly uint* _sqFlags;  // kernel: NEED_WAKEUP, CQ_OVERFLOW, TASKRUN
    private readonly uint _sqMask;
    private uint _sqeTail;            // us: end of SQEs handed out (published at the next submit)

    private readonly uint* _cqHead;   // us: next CQE to reap
    private readonly uint* _cqTail;   // kernel: end of posted CQEs
    private readonly IoUringCqe* _cqes;
    private readonly uint _cqMask;
    private bool _disposed;

    private IoUringRing(int fd, in IoUringParams p)
    {
        _fd = fd;
        Features = p.Features;
        SetupFlags = p.Flags;
        SqEntries = p.SqEntries;
        CqEntries = p.CqEntries;
        _sqPoll = (p.Flags & IoUringSetupFlags.SqPoll) != 0;
        _deferTaskRun = (p.Flags & IoUringSetupFlags.DeferTaskRun) != 0;

        _sqRingSize = p.SqOffsets.Array + (p.SqEntries * sizeof(uint));
        if ((p.Flags & IoUringSetupFlags.NoSqArray) != 0)
        {
            _sqRingSize = p.SqOffsets.Array; // the kernel reports where the array would start
        }

        _cqRingSize = p.CqOffsets.Cqes + (p.CqEntries * (uint)sizeof(IoUringCqe));
        bool single = (p.Features & IoUringFeatures.SingleMmap) != 0;
        if (single)
        {
            _sqRingSize = _cqRingSize = Math.Max(_sqRingSize, _cqRingSize);
        }

        _sqesSize = p.SqEntries * (nuint)sizeof(IoUringSqe);
        _sqRing = IoUring.MapRing(fd, _sqRingSize, IoUring.IORING_OFF_SQ_RING);
        _cqRing = single || _sqRing is null ? _sqRing : IoUring.MapRing(fd, _cqRingSize, IoUring.IORING_OFF_CQ_RING);
        _sqes = _cqRing is null ? null : (IoUringSqe*)IoUring.MapRing(fd, _sqesSize, IoUring.IORING_OFF_SQES);
        if (_sqes is null)
        {
            int errno = IoUring.LastError;
            Unmap(); // what did map; the caller closes the fd
            throw new IoUringException(_sqRing is null ? "mmap(IORING_OFF_SQ_RING)" : "mmap(IORING_OFF_CQ_RING or IORING_OFF_SQES)", errno);
        }

        _sqHead = (uint*)(_sqRing + p.SqOffsets.Head);
        _sqTail = (uint*)(_sqRing + p.SqOffsets.Tail);
        _sqFlags = (uint*)(_sqRing + p.SqOffsets.Flags);
        _sqMask = *(uint*)(_sqRing + p.SqOffsets.RingMask);
        if ((p.Flags & IoUringSetupFlags.NoSqArray) == 0)
        {
            // SQE slot i is always index i: fill the indirection array once.
            uint* array = (uint*)(_sqRing + p.SqOffsets.Array);
            for (uint i = 0; i < p.SqEntries; i++)
            {
                array[i] = i;
            }
        }

        _sqeTail = *_sqTail;
        _cqHead = (uint*)(_cqRing + p.CqOffsets.Head);
        _cqTail = (uint*)(_cqRing + p.CqOffsets.Tail);
        _cqes = (IoUringCqe*)(_cqRing + p.CqOffsets.Cqes);
        _cqMask = *(uint*)(_cqRing + p.CqOffsets.RingMask);
    }

    /// <summary>The ring fd (for MSG_RING from another ring, and for diagnostics).</summary>
    public int Fd => _fd;

    public IoUringFeatures Features { get; }

    /// <summary>The flags the ring was created with, after falling back from what was asked.</summary>
    public IoUringSetupFlags SetupFlags { get; }

    public uint SqEntries { get; }

    public uint CqEntries { get; }

    /// <summary>SQEs handed out and not yet taken by the kernel.</summary>
    public uint Pending => _sqeTail - Volatile.Read(ref *_sqHead);

    /// <summary>CQEs posted and not yet reaped.</summary>
    public uint Ready => Volatile.Read(ref *_cqTail) - *_cqHead;

    /// <summary>The kernel holds completions that did not fit the CQ; the next GETEVENTS enter flushes them.</summary>
    public bool CompletionsOverflowed => (Volatile.Read(ref *_sqFlags) & IoUring.IORING_SQ_CQ_OVERFLOW) != 0;

    /// <summary>
    /// Sets up a ring, falling back flag by flag on kernels that reject one (EINVAL), and checks what the
    /// completion backend needs. On failure <paramref name="ring"/> is null and the result says why.
    /// </summary>
    public static IoUringSupport TryCreate(IoUringRingOptions options, out IoUringRing? ring)
    {
        ring = null;
        if (!OperatingSystem.IsLinux())
        {
            return IoUringSupport.NotLinux();
        }

        int fd = -1;
        IoUringParams p = default;
        foreach (IoUringSetupFlags flags in SetupAttempts(options))
        {
            p = default;
            p.Flags = flags;
            p.CqEntries = options.ResolvedCompletionEntries;
            p.SqThreadIdle = options.SubmissionPollIdleMs;
            fd = IoUring.Setup(options.Entries, &p);
            if (fd >= 0)
            {
                break;
            }

            int errno = IoUring.LastError;
            if (errno != IoUring.EINVAL)
            {
                return IoUringSupport.FromSetupError(errno, IoUringSupport.ReadDisabledSysctl());
            }
        }

        if (fd < 0)
        {
            return IoUringSupport.FromSetupError(IoUring.EINVAL, IoUringSupport.ReadDisabledSysctl());
        }

        IoUringRing created;
        try
        {
            created = new IoUringRing(fd, p);
        }
        catch (IoUringException ex)
        {
            _ = Libc.Close(fd);
            return new IoUringSupport(IoUringUnavailableReason.SetupFailed, ex.Errno, ex.Message);
        }

        // The probe is a registration: a disabled single-issuer ring has no issuer yet and takes it from any thread.
        IoUringSupport support = created.TryProbe(out IoUringCapabilities? capabilities);
        if (support.IsAvailable)
        {
            support = IoUringSupport.FromCapabilities(capabilities!);
        }

        if (!support.IsAvailable)
        {
            created.Dispose();
            return support;
        }

        ring = created;
        return support;
    }

    /// <summary>The setup flags to try, best first; each later one drops what an older kernel rejects.</summary>
    internal static IEnumerable<IoUringSetupFlags> SetupAttempts(IoUringRingOptions options)
    {
        IoUringSetupFlags always = IoUringSetupFlags.CqSize | (options.StartDisabled ? IoUringSetupFlags.Disabled : 0);
        if (options.SubmissionPolling)
        {
            // SQPOLL's kernel thread is the one issuer; DEFER_TASKRUN does not combine with it.
            IoUringSetupFlags single = options.SingleIssuer ? IoUringSetupFlags.SingleIssuer : 0;
            yield return always | IoUringSetupFlags.SqPoll | single | IoUringSetupFlags.SubmitAll | IoUringSetupFlags.NoSqArray;
            yield return always | IoUringSetupFlags.SqPoll | single | IoUringSetupFlags.SubmitAll;
            yield return always | IoUringSetupFlags.SqPoll;
            yield break;
        }

        if (options.SingleIssuer)
        {
            IoUringSetupFlags deferred = IoUringSetupFlags.SingleIssuer | IoUringSetupFlags.DeferTaskRun | IoUringSetupFlags.SubmitAll;
            yield return always | deferred | IoUringSetupFlags.NoSqArray;                                                     // 6.6+
            yield return always | deferred;                                                                                   // 6.1+
            yield return always | IoUringSetupFlags.SingleIssuer | IoUringSetupFlags.CoopTaskRun | IoUringSetupFlags.SubmitAll; // 6.0
        }

        yield return always | IoUringSetupFlags.CoopTaskRun | IoUringSetupFlags.SubmitAll | IoUringSetupFlags.NoSqArray;
        yield return always | IoUringSetupFlags.CoopTaskRun | IoUringSetupFlags.SubmitAll;                                    // 5.19
        yield return always;
    }

    /// <summary>Reads IORING_REGISTER_PROBE into capabilities.</summary>
    public IoUringSupport TryProbe(out IoUringCapabilities? capabilities)
    {
        capabilities = null;
        const int MaxOps = 256;
        int size = sizeof(IoUringProbeHeader) + (MaxOps * sizeof(IoUringProbeOp));
        byte* buffer = stackalloc byte[size];
        new Span<byte>(buffer, size).Clear();
        int result = IoUring.Register(_fd, IoUring.IORING_REGISTER_PROBE, buffer, MaxOps);
        if (result < 0)
        {
            return IoUringSupport.FromRegisterError("IORING_REGISTER_PROBE", IoUring.LastError);
        }

        var header = (IoUringProbeHeader*)buffer;
        var ops = (IoUringProbeOp*)(buffer + sizeof(IoUringProbeHeader));
        var supported = new List<IoUringOpcode>();
        for (int i = 0; i < header->OpsLength; i++)
        {
            if ((ops[i].Flags & IoUringProbeOp.IO_URING_OP_SUPPORTED) != 0)
            {
                supported.Add((IoUringOpcode)ops[i].Op);
            }
        }

        capabilities = new IoUringCapabilities(Features, SetupFlags, supported);
        return IoUringSupport.Available($"probe: {supported.Count} opcodes, last {header->LastOp}");
    }

    /// <summary>Enables a ring created with <see cref="IoUringRingOptions.StartDisabled"/>; with SINGLE_ISSUER the calling thread becomes the issuer.</summary>
    public void Enable()
    {
        if (IoUring.Register(_fd, IoUring.IORING_REGISTER_ENABLE_RINGS, null, 0) < 0)
        {
            throw new IoUringException("IORING_REGISTER_ENABLE_RINGS", IoUring.LastError);
        }
    }

    /// <summary>io_uring_register on this ring; returns the result, or −errno.</summary>
    public int Register(uint opcode, void* argument, uint count)
    {
        if (_disposed)
        {
            return -9; // EBADF: never pass a closed ring's fd number, which may belong to another file by now
        }

        int result = IoUring.Register(_fd, opcode, argument, count);
        return result >= 0 ? result : -IoUring.LastError;
    }

    /// <summary>
    /// A zeroed SQE to prepare, or null when the SQ is full even after submitting what is pending.
    /// It goes to the kernel at the next <see cref="Submit"/> or <see cref="SubmitAndWait"/>.
    /// </summary>
    public IoUringSqe* GetSqe()
    {
        if (_sqeTail - Volatile.Read(ref *_sqHead) >= SqEntries)
        {
            _ = Submit();
            if (_sqeTail - Volatile.Read(ref *_sqHead) >= SqEntries)
            {
                return null;
            }
        }

        IoUringSqe* sqe = &_sqes[_sqeTail & _sqMask];
        *sqe = default;
        _sqeTail++;
        return sqe;
    }

    /// <summary>Submits what is pending without waiting; returns how many SQEs the kernel took.</summary>
    public int Submit() => Enter(minComplete: 0, getEvents: false, timeoutMs: -1);

    /// <summary>
    /// The loop's one syscall: submits what is pending, runs deferred completion work, and waits until
    /// <paramref name="minComplete"/> CQEs are ready or <paramref name="timeoutMs"/> passes (-1: no limit).
    /// Returns how many SQEs the kernel took.
    /// </summary>
    public int SubmitAndWait(uint minComplete, int timeoutMs) => Enter(minComplete, getEvents: true, timeoutMs);

    /// <summary>Copies up to <paramref name="into"/>.Length ready CQEs out and frees their slots; returns how many.</summary>
    public int Reap(Span<IoUringCqe> into)
    {
        uint head = *_cqHead;
        uint tail = Volatile.Read(ref *_cqTail); // acquire: the CQEs up to tail are written
        int count = (int)Math.Min(tail - head, (uint)into.Length);
        for (int i = 0; i < count; i++)
        {
            into[i] = _cqes[(head + (uint)i) & _cqMask];
        }

        Volatile.Write(ref *_cqHead, head + (uint)count); // release: the slots are the kernel's again
        return count;
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        // The mappings hold the ring open: unmap first, or close leaves the ring (and its fd's file) alive.
        Unmap();
        _ = Libc.Close(_fd);
    }

    private void Unmap()
    {
        IoUring.Unmap((byte*)_sqes, _sqesSize);
        if (_cqRing != _sqRing)
        {
            IoUring.Unmap(_cqRing, _cqRingSize);
        }

        IoUring.Unmap(_sqRing, _sqRingSize);
        _sqes = null;
        _sqRing = _cqRing = null;
    }

    private int Enter(uint minComplete, bool getEvents, int timeoutMs)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (*_sqTail != _sqeTail)
        {
            Volatile.Write(ref *_sqTail, _sqeTail); // release: the SQEs before the tail are complete
        }

        // Published but not yet taken: includes SQEs an earlier enter left (EAGAIN/EBUSY, EINTR).
        uint toSubmit = _sqeTail - Volatile.Read(ref *_sqHead);

        uint flags = 0;
        if (_sqPoll)
        {
            // The kernel thread takes the SQEs; enter only to wake it, or to wait.
            Interlocked.MemoryBarrier(); // the tail store must be visible before NEED_WAKEUP is read
            if ((Volatile.Read(ref *_sqFlags) & IoUring.IORING_SQ_NEED_WAKEUP) != 0)
            {
                flags |= IoUring.IORING_ENTER_SQ_WAKEUP;
            }

            if (!getEvents && flags == 0)
            {
                return (int)toSubmit;
            }

            toSubmit = 0;
        }

        if (getEvents || _deferTaskRun)
        {
            // With DEFER_TASKRUN completions are posted only inside a GETEVENTS enter, so every enter asks.
            flags |= IoUring.IORING_ENTER_GETEVENTS;
        }
        else if (toSubmit == 0 && flags == 0)
        {
            return 0;
        }

        IoUringGetEventsArg arg = default;
        KernelTimespec timespec = default;
        void* argument = null;
        nuint argumentSize = 0;
        if (getEvents && minComplete > 0 && timeoutMs >= 0)
        {
            timespec = KernelTimespec.FromMilliseconds(timeoutMs);
            arg.SignalMaskSize = IoUring.KernelSigsetSize;
            arg.Timespec = (ulong)&timespec;
            argument = &arg;
            argumentSize = (nuint)sizeof(IoUringGetEventsArg);
            flags |= IoUring.IORING_ENTER_EXT_ARG;
        }

        uint wait = getEvents ? minComplete : 0;
        while (true)
        {
            int n = IoUring.Enter(_fd, toSubmit, wait, flags, argument, argumentSize);
            if (n >= 0)
            {
                return n;
            }

            int errno = IoUring.LastError;
            if (errno == IoUring.ETIME)
            {
                return 0; // the wait timed out, and nothing was pending to submit
            }

            if (errno == IoUring.EINTR)
            {
                continue;
            }

            if (errno == IoUring.EAGAIN || errno == IoUring.EBUSY)
            {
                // The kernel could not take SQEs now (completions backed up): reap, then submit again.
                return 0;
            }

            throw new IoUringException("io_uring_enter", errno);
        }
    }
}
