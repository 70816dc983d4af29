using Netpoll.Interop;

namespace Netpoll.Polling;

/// <summary>
/// A completion API (io_uring): a registration submits operations — a multishot receive, a send, an
/// accept — and the kernel reports each done through <see cref="IPollable.OnCompleted"/>, received data
/// included, in a buffer the backend provided. Submissions happen on the poller thread only and go to the
/// kernel in the turn's one <see cref="PollerBackend.Wait"/>.
/// </summary>
/// <remarks>
/// Every operation ends with one final completion (one without <see cref="Completion.HasMore"/>), also
/// when it is cancelled; until then the kernel may use the fd and the memory it names. A registration
/// therefore keeps its token, fd and output until its operations' final completions have arrived.
/// </remarks>
internal abstract class CompletionBackend : PollerBackend
{
    /// <summary>Bytes of received data sitting in provided buffers the application holds (any thread, a moment's value).</summary>
    public abstract long HeldBufferBytes { get; }

    /// <summary>Whether a receive armed now could get a buffer (some are free, or given back this turn).</summary>
    public abstract bool HasFreeBuffers { get; }

    /// <summary>
    /// Half the receive buffers or more are held: receivers should copy what arrives and give the buffer
    /// straight back, so readers waiting for more data can never hold every buffer and starve each other.
    /// </summary>
    public abstract bool BuffersScarce { get; }

    /// <summary>Receive buffers given back on other threads, which the next turn hands to the kernel.</summary>
    public abstract bool HasForeignReturns { get; }

    /// <summary>
    /// <paramref name="wake"/> runs (on the returning thread) after a receive buffer is given back on a thread other
    /// than the poller's, so a sleeping poller publishes it instead of leaving it out of the kernel's reach.
    /// </summary>
    public abstract void WakeOnForeignReturns(Action wake);

    /// <summary>Arms a multishot receive on <paramref name="fd"/>: one completion per arrival, each in a provided buffer.</summary>
    public abstract void Receive(int fd, ulong token);

    /// <summary>
    /// Arms a one-shot poll on <paramref name="fd"/> that completes when the connection ends — the peer's reset or FIN,
    /// or both sides shut — with the poll mask; arriving data does not fire it.
    /// </summary>
    public abstract void WatchHangup(int fd, ulong token);

    /// <summary>Sends <paramref name="vectors"/> (at most 64, pinned until the completion) on <paramref name="fd"/>.</summary>
    public abstract void Send(int fd, ulong token, ReadOnlySpan<IoVector> vectors);

    /// <summary>Accepts one connection on <paramref name="listenerFd"/> (non-blocking, close-on-exec); the result is its fd.</summary>
    public abstract void Accept(int listenerFd, ulong token);

    /// <summary>Cancels the <paramref name="operation"/> of <paramref name="token"/>; it ends with −ECANCELED if it was still running.</summary>
    public abstract void Cancel(ulong token, IoOperation operation);

    /// <summary>Cancels every operation on <paramref name="fd"/>.</summary>
    public abstract void CancelAll(int fd);

    /// <summary>
    /// The buffer a receive completion named (<see cref="Completion.BufferId"/>); its holder gives it back
    /// with <see cref="ProvidedBuffer.Return"/> or through <see cref="ProvidedBuffer.ReleaseHook"/>, from any thread.
    /// </summary>
    public abstract ProvidedBuffer ReceivedBuffer(ushort bufferId);
}
