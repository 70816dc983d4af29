using System.Runtime.InteropServices;

namespace Netpoll.Interop;

/// <summary>struct io_uring_probe (16-byte header, then one 8-byte io_uring_probe_op per opcode), from IORING_REGISTER_PROBE (5.6).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct IoUringProbeHeader
{
    public byte LastOp;
    public byte OpsLength;
    private readonly ushort _reserved0;
    private readonly uint _reserved1;
    private readonly uint _reserved2;
    private readonly uint _reserved3;
}

/// <summary>struct io_uring_probe_op.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct IoUringProbeOp
{
    public const ushort IO_URING_OP_SUPPORTED = 1;

    public byte Op;
    private readonly byte _reserved0;
    public ushort Flags;
    private readonly uint _reserved1;
}
