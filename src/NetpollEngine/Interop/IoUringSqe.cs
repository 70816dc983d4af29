using System.Runtime.InteropServices;

namespace Netpoll.Interop;

/// <summary>
/// struct io_uring_sqe (64 bytes), with the unions the engine uses named by their role. The ring hands
/// out zeroed entries; each <c>Prepare*</c> sets the fields its opcode reads, as the kernel's
/// prep functions expect (every field an opcode does not use must stay zero).
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = 64)]
internal struct IoUringSqe
{
    // sqe->flags (IOSQE_*)
    public const byte IOSQE_FIXED_FILE = 1 << 0;
    public const byte IOSQE_IO_DRAIN = 1 << 1;
    public const byte IOSQE_IO_LINK = 1 << 2;
    public const byte IOSQE_IO_HARDLINK = 1 << 3;
    public const byte IOSQE_ASYNC = 1 << 4;
    /// <summary>Take the data buffer from the provided-buffer group in <see cref="BufferGroup"/>.</summary>
    public const byte IOSQE_BUFFER_SELECT = 1 << 5;
    /// <summary>Post no CQE when the request succeeds.</summary>
    public const byte IOSQE_CQE_SKIP_SUCCESS = 1 << 6;

    // ioprio, for accept
    public const ushort IORING_ACCEPT_MULTISHOT = 1 << 0;
    // ioprio, for send and receive
    public const ushort IORING_RECVSEND_POLL_FIRST = 1 << 0;
    public const ushort IORING_RECV_MULTISHOT = 1 << 1;

    // len, for POLL_ADD
    public const uint IORING_POLL_ADD_MULTI = 1u << 0;

    // cancel_flags, for ASYNC_CANCEL
    public const uint IORING_ASYNC_CANCEL_ALL = 1u << 0;
    public const uint IORING_ASYNC_CANCEL_FD = 1u << 1;
    public const uint IORING_ASYNC_CANCEL_ANY = 1u << 2;
    public const uint IORING_ASYNC_CANCEL_FD_FIXED = 1u << 3;

    // timeout_flags, for TIMEOUT
    public const uint IORING_TIMEOUT_ABS = 1u << 0;
    public const uint IORING_TIMEOUT_MULTISHOT = 1u << 6;

    [FieldOffset(0)] public IoUringOpcode Opcode;
    [FieldOffset(1)] public byte Flags;
    /// <summary>ioprio: the per-opcode modifiers (multishot accept/receive, poll first).</summary>
    [FieldOffset(2)] public ushort IoPriority;
    [FieldOffset(4)] public int Fd;
    /// <summary>off / addr2: a file offset, the accept addrlen pointer, a timeout's completion count.</summary>
    [FieldOffset(8)] public ulong Offset;
    /// <summary>addr: the data buffer, msghdr, sockaddr, timespec, or the user_data to cancel.</summary>
    [FieldOffset(16)] public ulong Address;
    [FieldOffset(24)] public uint Length;
    /// <summary>The opcode's flags word: msg_flags, accept_flags, poll32_events, cancel_flags, timeout_flags.</summary>
    [FieldOffset(28)] public uint OpFlags;
    [FieldOffset(32)] public ulong UserData;
    /// <summary>buf_group with IOSQE_BUFFER_SELECT (buf_index for fixed buffers).</summary>
    [FieldOffset(40)] public ushort BufferGroup;
    [FieldOffset(42)] public ushort Personality;
    [FieldOffset(44)] public int SpliceFdIn;
    [FieldOffset(48)] public ulong Address3;
    [FieldOffset(56)] private readonly ulong _pad;

    public void PrepareNop(ulong userData)
    {
        Opcode = IoUringOpcode.Nop;
        UserData = userData;
    }

    /// <summary>accept4 on <paramref name="listenerFd"/>; multishot posts one CQE (the new fd) per connection.</summary>
    public void PrepareAccept(int listenerFd, int socketFlags, bool multishot, ulong userData)
    {
        Opcode = IoUringOpcode.Accept;
        Fd = listenerFd;
        OpFlags = (uint)socketFlags;
        IoPriority = multishot ? IORING_ACCEPT_MULTISHOT : (ushort)0;
        UserData = userData;
    }

    /// <summary>
    /// Receive into a buffer the kernel picks from group <paramref name="bufferGroup"/>. Multishot stays
    /// armed and posts a CQE per arrival until EOF, an error, or the group runs dry (−ENOBUFS).
    /// </summary>
    public void PrepareRecvProvided(int fd, ushort bufferGroup, bool multishot, ulong userData)
    {
        Opcode = IoUringOpcode.Recv;
        Fd = fd;
        Flags = IOSQE_BUFFER_SELECT;
        BufferGroup = bufferGroup;
        IoPriority = multishot ? IORING_RECV_MULTISHOT : (ushort)0;
        UserData = userData;
    }

    public unsafe void PrepareSend(int fd, byte* buffer, uint length, int messageFlags, ulong userData)
    {
        Opcode = IoUringOpcode.Send;
        Fd = fd;
        Address = (ulong)buffer;
        Length = length;
        OpFlags = (uint)messageFlags;
        UserData = userData;
    }

    /// <summary>sendmsg with a gather list; the msghdr and its iovecs must stay valid until submitted.</summary>
    public unsafe void PrepareSendMsg(int fd, MessageHeader* message, int messageFlags, ulong userData)
    {
        Opcode = IoUringOpcode.SendMsg;
        Fd = fd;
        Address = (ulong)message;
        Length = 1;
        OpFlags = (uint)messageFlags;
        UserData = userData;
    }

    /// <summary>Readiness poll; multishot stays armed like epoll's level-triggered registration.</summary>
    public void PreparePollAdd(int fd, uint pollEvents, bool multishot, ulong userData)
    {
        Opcode = IoUringOpcode.PollAdd;
        Fd = fd;
        OpFlags = pollEvents;
        Length = multishot ? IORING_POLL_ADD_MULTI : 0;
        UserData = userData;
    }

    /// <summary>Cancels the request(s) whose user_data is <paramref name="target"/>.</summary>
    public void PrepareCancel(ulong target, uint cancelFlags, ulong userData)
    {
        Opcode = IoUringOpcode.AsyncCancel;
        Fd = -1;
        Address = target;
        OpFlags = cancelFlags;
        UserData = userData;
    }

    /// <summary>Cancels every request on <paramref name="fd"/> (IORING_ASYNC_CANCEL_FD | ALL, 5.19).</summary>
    public void PrepareCancelFd(int fd, ulong userData)
    {
        Opcode = IoUringOpcode.AsyncCancel;
        Fd = fd;
        OpFlags = IORING_ASYNC_CANCEL_FD | IORING_ASYNC_CANCEL_ALL;
        UserData = userData;
    }

    /// <summary>A timer: completes with −ETIME when <paramref name="timeout"/> elapses (kept valid until submitted).</summary>
    public unsafe void PrepareTimeout(KernelTimespec* timeout, uint timeoutFlags, ulong userData)
    {
        Opcode = IoUringOpcode.Timeout;
        Fd = -1;
        Address = (ulong)timeout;
        Length = 1;
        OpFlags = timeoutFlags;
        UserData = userData;
    }

    /// <summary>
    /// Sets registered-file slots <paramref name="firstSlot"/>.. to the fds at <paramref name="fds"/> (−1 empties a
    /// slot, dropping its file reference). The kernel reads <paramref name="fds"/> when it issues the SQE.
    /// </summary>
    public unsafe void PrepareFilesUpdate(int* fds, uint count, int firstSlot, ulong userData)
    {
        Opcode = IoUringOpcode.FilesUpdate;
        Fd = -1;
        Address = (ulong)fds;
        Length = count;
        Offset = (ulong)firstSlot;
        UserData = userData;
    }

    /// <summary>The SQE names registered-file slot <paramref name="slot"/> instead of an fd: no fget/fput per operation.</summary>
    public void UseFixedFile(int slot)
    {
        Fd = slot;
        Flags |= IOSQE_FIXED_FILE;
    }

    public void PrepareClose(int fd, ulong userData)
    {
        Opcode = IoUringOpcode.Close;
        Fd = fd;
        UserData = userData;
    }

    /// <summary>Posts a CQE (user_data <paramref name="targetUserData"/>, res <paramref name="result"/>) on another ring.</summary>
    public void PrepareMessageRing(int targetRingFd, uint result, ulong targetUserData, ulong userData)
    {
        Opcode = IoUringOpcode.MsgRing;
        Fd = targetRingFd;
        Address = 0; // IORING_MSG_DATA
        Length = result;
        Offset = targetUserData;
        UserData = userData;
    }
}
