namespace Netpoll.Interop;

/// <summary>The io_uring operations the engine uses (enum io_uring_op; the values are the kernel's).</summary>
internal enum IoUringOpcode : byte
{
    Nop = 0,
    PollAdd = 6,
    PollRemove = 7,
    SendMsg = 9,
    RecvMsg = 10,
    Timeout = 11,
    TimeoutRemove = 12,
    Accept = 13,
    AsyncCancel = 14,
    LinkTimeout = 15,
    Connect = 16,
    Close = 19,
    FilesUpdate = 20,
    Send = 26,
    Recv = 27,
    Shutdown = 34,
    MsgRing = 40,
    /// <summary>Zero-copy send (6.0); its buffer is the kernel's until a second, NOTIF completion.</summary>
    SendZc = 47,
    SendMsgZc = 48,
}
