namespace Netpoll.Polling;

/// <summary>Something registered on a <see cref="Poller"/>: a listener, a connection, a pending connect.</summary>
internal interface IPollable
{
    /// <summary>Runs on the poller thread when the fd is ready.</summary>
    void OnReady(ReadyFlags flags);

    /// <summary>Runs on the poller thread when a deadline it asked for has come (it re-checks its own deadlines).</summary>
    void OnDeadline(long nowMs);

    /// <summary>Input bytes this registration holds unread, for the poller's stats (any thread, a moment's value).</summary>
    int BufferedInputBytes => 0;
}
