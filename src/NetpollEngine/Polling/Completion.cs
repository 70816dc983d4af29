using Netpoll.Interop;

namespace Netpoll.Polling;

/// <summary>One finished (or continuing) operation of a registration, as a completion backend reports it.</summary>
internal readonly struct Completion(IoOperation operation, int result, uint flags)
{
    public IoOperation Operation { get; } = operation;

    /// <summary>≥ 0 on success (bytes, a new fd); −errno on failure.</summary>
    public int Result { get; } = result;

    /// <summary>A multishot operation stays armed: more completions will follow.</summary>
    public bool HasMore => (flags & IoUringCqe.IORING_CQE_F_MORE) != 0;

    /// <summary>The data is in a provided buffer, <see cref="BufferId"/>, which the registration now owns.</summary>
    public bool HasBuffer => (flags & IoUringCqe.IORING_CQE_F_BUFFER) != 0;

    /// <summary>A receive: the socket still held data after it (the kernel's hint; after a FIN it is set too, after a reset not).</summary>
    public bool SocketNonEmpty => (flags & IoUringCqe.IORING_CQE_F_SOCK_NONEMPTY) != 0;

    public ushort BufferId => (ushort)(flags >> IoUringCqe.IORING_CQE_BUFFER_SHIFT);
}
