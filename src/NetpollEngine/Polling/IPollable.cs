namespace Netpoll.Polling;

/// <summary>Something registered on a <see cref="Poller"/>: a listener, a connection, a pending connect.</summary>
internal interface IPollable
{
    /// <summary>Runs on the poller thread when the fd is ready (readiness backends, and polls on completion backends).</summary>
    void OnReady(ReadyFlags flags);

    /// <summary>
    /// Runs on the poller thread when an operation this registration submitted to a <see cref="CompletionBackend"/>
    /// completes. A completion with a buffer hands the buffer over: the registration returns it.
    /// </summary>
    void OnCompleted(in Completion completion) =>
        throw new NotSupportedException($"{GetType().Name} submits no completion-backend operations.");

    /// <summary>Runs on the poller thread when a deadline it asked for has come (it re-checks its own deadlines).</summary>
    void OnDeadline(long nowMs);

    /// <summary>Input bytes this registration holds unread, for the poller's stats (any thread, a moment's value).</summary>
    int BufferedInputBytes => 0;
}
