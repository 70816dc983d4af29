namespace Netpoll.Polling;

/// <summary>The kernel API a server's or dialer's pollers run on.</summary>
public enum PollerBackendKind
{
    /// <summary>
    /// Chosen for the machine and the handler: on Linux io_uring where the kernel allows it and it was
    /// measured to win for the dispatch mode (docs/benchmarks.md), else epoll; kqueue on macOS and FreeBSD.
    /// </summary>
    Auto = 0,

    /// <summary>epoll, level-triggered readiness (Linux).</summary>
    Epoll = 1,

    /// <summary>kqueue readiness (macOS, FreeBSD).</summary>
    Kqueue = 2,

    /// <summary>
    /// io_uring completions (Linux 6.0+): multishot receives into a provided buffer ring, sends and accepts
    /// submitted in batches, one io_uring_enter per loop turn. Where the kernel refuses it, epoll runs
    /// instead and the owner's BackendReason says why.
    /// </summary>
    IoUring = 3,
}
