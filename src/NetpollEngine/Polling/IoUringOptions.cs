namespace Netpoll.Polling;

/// <summary>How a poller sets up io_uring when it runs on it (<see cref="PollerBackendKind.IoUring"/>).</summary>
public sealed record IoUringOptions
{
    private const int MaxBuffers = 32768;
    private const int MaxBatch = 4096;
    private static readonly TimeSpan s_maxBatchWait = TimeSpan.FromMilliseconds(10);

    /// <summary>
    /// Buffers in each poller's receive ring (a power of two, at most 32768). Data lands in one only when it
    /// arrives, and it goes back when the handler releases it; a connection waiting for data holds none.
    /// Size it for the receives in flight at once: about one per busy connection.
    /// </summary>
    public int ReceiveBuffers { get; init; } = 4096;

    /// <summary>Bytes per receive buffer: the most one receive completion delivers.</summary>
    public int ReceiveBufferSize { get; init; } = 4096;

    /// <summary>
    /// SQPOLL: a kernel thread takes submissions, so a busy poller submits without a syscall. It spins a
    /// core of its own; measured at 0.41× on a 2-core machine (docs/architecture.md), so off by default.
    /// </summary>
    public bool SubmissionPolling { get; init; }

    /// <summary>
    /// Completions a poller with nothing else to do lets gather before it wakes; 1 (the default) wakes it for the
    /// first. Above 1 it sleeps until that many are ready, or until <see cref="CompletionBatchWait"/> has passed
    /// and at least one is: fewer wake-ups per request for a busy poller, and up to <see cref="CompletionBatchWait"/>
    /// more latency for a completion that arrives alone (a lone request-response connection pays it on every
    /// request). Needs Linux 6.12 (IORING_FEAT_MIN_TIMEOUT); on an older kernel the poller wakes for the first.
    /// </summary>
    public int CompletionBatch { get; init; } = 1;

    /// <summary>With <see cref="CompletionBatch"/> above 1: the longest a poller sleeps for a fuller batch while a completion waits (1 µs to 10 ms).</summary>
    public TimeSpan CompletionBatchWait { get; init; } = TimeSpan.FromMicroseconds(50);

    /// <summary>Submission queue entries per ring (the completion queue gets 8×). A full queue is submitted early.</summary>
    internal uint SubmissionEntries { get; init; } = 2048;

    internal void Validate()
    {
        if (ReceiveBuffers < 1 || ReceiveBuffers > MaxBuffers || (ReceiveBuffers & (ReceiveBuffers - 1)) != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(ReceiveBuffers), ReceiveBuffers, $"ReceiveBuffers must be a power of two between 1 and {MaxBuffers}.");
        }

        if (ReceiveBufferSize < 256 || ReceiveBufferSize > 1024 * 1024)
        {
            throw new ArgumentOutOfRangeException(nameof(ReceiveBufferSize), ReceiveBufferSize, "ReceiveBufferSize must be between 256 bytes and 1 MiB.");
        }

        if (CompletionBatch < 1 || CompletionBatch > MaxBatch)
        {
            throw new ArgumentOutOfRangeException(nameof(CompletionBatch), CompletionBatch, $"CompletionBatch must be between 1 (wake for the first completion) and {MaxBatch}.");
        }

        if (CompletionBatchWait < TimeSpan.FromMicroseconds(1) || CompletionBatchWait > s_maxBatchWait)
        {
            throw new ArgumentOutOfRangeException(nameof(CompletionBatchWait), CompletionBatchWait, "CompletionBatchWait must be between 1 µs and 10 ms.");
        }
    }
}
