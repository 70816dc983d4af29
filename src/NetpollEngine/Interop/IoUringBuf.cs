using System.Runtime.InteropServices;

namespace Netpoll.Interop;

/// <summary>
/// struct io_uring_buf (16 bytes): one entry of a provided buffer ring. The ring is an array of these;
/// the application owns the tail, which overlays the <c>resv</c> field of entry 0 (byte offset 14).
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal struct IoUringBuf
{
    /// <summary>Byte offset of the ring's 16-bit tail within the ring memory.</summary>
    public const int TailOffset = 14;

    public ulong Address;
    public uint Length;
    public ushort BufferId;
    private readonly ushort _reservedOrTail;
}

/// <summary>struct io_uring_buf_reg (40 bytes): the argument of IORING_(UN)REGISTER_PBUF_RING.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct IoUringBufReg
{
    /// <summary>Page-aligned memory for <see cref="RingEntries"/> × 16 bytes (unless the kernel allocates it).</summary>
    public ulong RingAddress;
    /// <summary>A power of two, at most 32768.</summary>
    public uint RingEntries;
    public ushort GroupId;
    public ushort Flags;
    private readonly uint _reserved0;
    private readonly ulong _reserved1;
    private readonly ulong _reserved2;
    private readonly ulong _reserved3;
}
