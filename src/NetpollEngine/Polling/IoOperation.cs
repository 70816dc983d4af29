namespace Netpoll.Polling;

/// <summary>
/// What a completion-backend operation was, carried in the top 4 bits of its user_data beside the
/// registration's token (so a token's generation has 28 bits).
/// </summary>
internal enum IoOperation : byte
{
    /// <summary>The cross-thread wake-up (token 0).</summary>
    Wake = 1,
    /// <summary>A readiness poll standing in for epoll's interest (a pending connect).</summary>
    Poll = 2,
    /// <summary>A multishot receive into the provided buffer ring.</summary>
    Receive = 3,
    /// <summary>A send or sendmsg of a connection's output.</summary>
    Send = 4,
    /// <summary>A single-shot accept on a listener.</summary>
    Accept = 5,
    /// <summary>A cancel request: its own result needs no action.</summary>
    Cancel = 6,
    /// <summary>Installing or emptying a registered-file slot; it posts a completion only when it fails.</summary>
    FilesUpdate = 7,
    /// <summary>A one-shot poll for a connection's end (reset, FIN, both sides shut) beside its multishot receive.</summary>
    HangupPoll = 8,
}
