namespace Netpoll.Polling;

/// <summary>
/// The kernel's event API behind a <see cref="Poller"/>: the kernel part of one loop turn (<see cref="Wait"/>),
/// the delivery of what it returned (<see cref="Dispatch"/>), readiness registrations keyed by a 64-bit
/// token, and a wake-up that interrupts the wait from any thread. Token 0 is reserved for the wake-up.
/// </summary>
/// <remarks>
/// Two kinds sit behind this seam. A <see cref="ReadinessBackend"/> (epoll, kqueue) says an fd is ready and
/// the registration does the syscall itself. A <see cref="CompletionBackend"/> (io_uring) runs the
/// registration's operations in the kernel and reports them done, with the data. The poller around them
/// (tasks, handler batches, the timer wheel) is the same; each is created on its poller's thread.
/// </remarks>
internal abstract class PollerBackend : IDisposable
{
    public const ulong WakeToken = 0;

    /// <summary>The backend <paramref name="choice"/> names, created on the calling (poller) thread.</summary>
    public static PollerBackend Create(BackendChoice choice) => choice.Kind switch
    {
        PollerBackendKind.Epoll => new EpollBackend(),
        PollerBackendKind.Kqueue => new KqueueBackend(),
        PollerBackendKind.IoUring => IoUringBackend.Create(choice.IoUring),
        _ => throw new ArgumentOutOfRangeException(nameof(choice), choice.Kind, "A poller runs on a resolved backend, never Auto."),
    };

    public abstract string Name { get; }

    public abstract PollerBackendKind Kind { get; }

    /// <summary>Level-triggered interest in <paramref name="fd"/> for <paramref name="token"/>. Poller thread.</summary>
    public abstract void Add(int fd, ulong token, Interest interest);

    /// <summary>Changes the interest of a registration (any thread on epoll and kqueue; the poller's on io_uring).</summary>
    public abstract void Modify(int fd, ulong token, Interest interest);

    /// <summary>Drops the readiness registration of <paramref name="token"/>, if it has one. Poller thread.</summary>
    public abstract void Remove(int fd, ulong token);

    /// <summary>
    /// The kernel part of a loop turn: (submit what the turn prepared and) wait up to <paramref name="timeoutMs"/>
    /// (-1: until something happens). Returns how many events or completions are ready for <see cref="Dispatch"/>.
    /// </summary>
    public abstract int Wait(int timeoutMs);

    /// <summary>Delivers the <paramref name="count"/> events the last wait returned to <paramref name="poller"/>.</summary>
    public abstract void Dispatch(int count, Poller poller);

    /// <summary>Interrupts a wait from any thread.</summary>
    public abstract void Wake();

    /// <summary>
    /// On the poller thread after its loop ended: a completion backend ends the operations still in the
    /// kernel (their final completions reach their registrations) so nothing writes into memory it frees.
    /// </summary>
    public virtual void Drain(Poller poller)
    {
    }

    public abstract void Dispose();
}
