using System.Runtime.InteropServices;

namespace Netpoll.Interop;

/// <summary>struct io_uring_cqe (16 bytes; the engine never sets up CQE32).</summary>
[StructLayout(LayoutKind.Sequential)]
internal readonly struct IoUringCqe
{
    /// <summary>A provided buffer was used: its id is in the upper 16 bits of the flags.</summary>
    public const uint IORING_CQE_F_BUFFER = 1u << 0;
    /// <summary>The multishot request that posted this stays armed and will post more.</summary>
    public const uint IORING_CQE_F_MORE = 1u << 1;
    /// <summary>The socket still had data after this receive.</summary>
    public const uint IORING_CQE_F_SOCK_NONEMPTY = 1u << 2;
    /// <summary>Zero-copy send: the kernel is done with the buffer (the second CQE of a SEND_ZC).</summary>
    public const uint IORING_CQE_F_NOTIF = 1u << 3;
    /// <summary>Incrementally consumed buffer (IOU_PBUF_RING_INC): the buffer stays the kernel's for more data.</summary>
    public const uint IORING_CQE_F_BUF_MORE = 1u << 4;
    public const int IORING_CQE_BUFFER_SHIFT = 16;

    public readonly ulong UserData;
    /// <summary>The operation's result: ≥ 0 on success, −errno on failure.</summary>
    public readonly int Result;
    public readonly uint Flags;

    public IoUringCqe(ulong userData, int result, uint flags)
    {
        UserData = userData;
        Result = result;
        Flags = flags;
    }

    public bool HasMore => (Flags & IORING_CQE_F_MORE) != 0;

    public bool HasBuffer => (Flags & IORING_CQE_F_BUFFER) != 0;

    /// <summary>The provided buffer's id; meaningful only when <see cref="HasBuffer"/>.</summary>
    public ushort BufferId => (ushort)(Flags >> IORING_CQE_BUFFER_SHIFT);

    public override string ToString() => $"cqe(user_data={UserData}, res={Result}, flags=0x{Flags:x})";
}
