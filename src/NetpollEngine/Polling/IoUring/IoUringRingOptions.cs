namespace Netpoll.Polling;

/// <summary>How an <see cref="IoUringRing"/> is set up.</summary>
internal sealed class IoUringRingOptions
{
    private const uint MaxEntries = 32768;
    private readonly uint _entries = 256;

    /// <summary>Submission queue size, 1 to 32768 (rounded up to a power of two by the kernel).</summary>
    public uint Entries
    {
        get => _entries;
        init => _entries = value is > 0 and <= MaxEntries
            ? value
            : throw new ArgumentOutOfRangeException(nameof(Entries), value, $"An io_uring SQ holds 1 to {MaxEntries} entries.");
    }

    /// <summary>
    /// Completion queue size; 0 picks 8 × <see cref="Entries"/>. Multishot requests post many CQEs per
    /// SQE, so the CQ must be much larger than the SQ (an overflowing CQ is kept by the kernel, but costs).
    /// </summary>
    public uint CompletionEntries { get; init; }

    /// <summary>
    /// One thread submits (SINGLE_ISSUER, and DEFER_TASKRUN where the kernel has it). The kernel then
    /// refuses submissions and registrations from other threads with EEXIST.
    /// </summary>
    public bool SingleIssuer { get; init; } = true;

    /// <summary>SQPOLL: a kernel thread consumes the SQ, so submitting needs no syscall while it is awake.</summary>
    public bool SubmissionPolling { get; init; }

    /// <summary>SQPOLL: how long the kernel thread spins without work before it sleeps.</summary>
    public uint SubmissionPollIdleMs { get; init; } = 50;

    /// <summary>
    /// Create the ring disabled (R_DISABLED): with <see cref="SingleIssuer"/>, the thread that calls
    /// <see cref="IoUringRing.Enable"/> becomes the issuer, so the ring can be built on another thread.
    /// </summary>
    public bool StartDisabled { get; init; }

    internal uint ResolvedCompletionEntries => CompletionEntries != 0 ? CompletionEntries : Entries * 8;
}
