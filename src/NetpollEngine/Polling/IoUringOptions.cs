namespace Netpoll.Polling;

/// <summary>How a poller sets up io_uring when it runs on it (<see cref="PollerBackendKind.IoUring"/>).</summary>
public sealed record IoUringOptions
{
    private const int MaxBuffers = 32768;

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
    }
}
