using System.Runtime.InteropServices;

namespace Netpoll.Interop;

/// <summary>struct io_uring_rsrc_register (32 bytes): the argument of IORING_REGISTER_FILES2 (and _BUFFERS2).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct IoUringRsrcRegister
{
    public uint Count;
    /// <summary><see cref="IoUring.IORING_RSRC_REGISTER_SPARSE"/>: every slot starts empty and <see cref="Data"/> is unused.</summary>
    public uint Flags;
    private readonly ulong _reserved;
    public ulong Data;
    public ulong Tags;
}
