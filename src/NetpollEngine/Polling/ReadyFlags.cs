namespace Netpoll.Polling;

/// <summary>What a poller reported for one fd.</summary>
[Flags]
internal enum ReadyFlags
{
    None = 0,
    Readable = 1,
    Writable = 2,
    /// <summary>Peer closed its side (EPOLLRDHUP/EPOLLHUP, EV_EOF): read what is left, then close.</summary>
    Hangup = 4,
    Error = 8,
}
