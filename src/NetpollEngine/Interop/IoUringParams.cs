using System.Runtime.InteropServices;

namespace Netpoll.Interop;

/// <summary>struct io_uring_params (120 bytes): what io_uring_setup is asked for and what it answers.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct IoUringParams
{
    public uint SqEntries;
    public uint CqEntries;
    public IoUringSetupFlags Flags;
    public uint SqThreadCpu;
    /// <summary>SQPOLL: milliseconds the kernel thread spins before it sleeps and needs a wake-up.</summary>
    public uint SqThreadIdle;
    public IoUringFeatures Features;
    public uint WqFd;
    private readonly uint _reserved0;
    private readonly uint _reserved1;
    private readonly uint _reserved2;
    public IoSqRingOffsets SqOffsets;
    public IoCqRingOffsets CqOffsets;
}

/// <summary>struct io_sqring_offsets: byte offsets of the SQ ring's fields inside its mapping.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct IoSqRingOffsets
{
    public uint Head;
    public uint Tail;
    public uint RingMask;
    public uint RingEntries;
    public uint Flags;
    public uint Dropped;
    public uint Array;
    private readonly uint _reserved;
    public ulong UserAddress;
}

/// <summary>struct io_cqring_offsets: byte offsets of the CQ ring's fields inside its mapping.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct IoCqRingOffsets
{
    public uint Head;
    public uint Tail;
    public uint RingMask;
    public uint RingEntries;
    public uint Overflow;
    public uint Cqes;
    public uint Flags;
    private readonly uint _reserved;
    public ulong UserAddress;
}

/// <summary>io_uring_setup flags (IORING_SETUP_*).</summary>
[Flags]
internal enum IoUringSetupFlags : uint
{
    None = 0,
    SqPoll = 1u << 1,
    SqAffinity = 1u << 2,
    CqSize = 1u << 3,
    Clamp = 1u << 4,
    /// <summary>Created disabled; IORING_REGISTER_ENABLE_RINGS makes the enabling thread the single issuer.</summary>
    Disabled = 1u << 6,
    /// <summary>Keep submitting the rest of a batch when one SQE fails to prepare (5.18).</summary>
    SubmitAll = 1u << 7,
    /// <summary>Run completion task work at the next kernel entry instead of interrupting the thread (5.19).</summary>
    CoopTaskRun = 1u << 8,
    TaskRunFlag = 1u << 9,
    /// <summary>One thread submits; the kernel fails others with EEXIST (6.0).</summary>
    SingleIssuer = 1u << 12,
    /// <summary>Completion work runs only inside io_uring_enter(GETEVENTS) of the issuer (6.1; needs SingleIssuer).</summary>
    DeferTaskRun = 1u << 13,
    /// <summary>No SQ index array: SQE i is slot i (6.6).</summary>
    NoSqArray = 1u << 16,
}

/// <summary>io_uring_params.features (IORING_FEAT_*), filled in by io_uring_setup.</summary>
[Flags]
internal enum IoUringFeatures : uint
{
    None = 0,
    /// <summary>SQ and CQ rings share one mapping (5.4).</summary>
    SingleMmap = 1u << 0,
    /// <summary>A full CQ never drops completions; the kernel keeps them until there is room (5.5).</summary>
    NoDrop = 1u << 1,
    SubmitStable = 1u << 2,
    RwCurPos = 1u << 3,
    CurPersonality = 1u << 4,
    /// <summary>Socket ops that would block arm an internal poll instead of a worker thread (5.7).</summary>
    FastPoll = 1u << 5,
    Poll32Bits = 1u << 6,
    SqPollNonFixed = 1u << 7,
    /// <summary>io_uring_enter takes io_uring_getevents_arg: a wait with a timeout (5.11).</summary>
    ExtArg = 1u << 8,
    NativeWorkers = 1u << 9,
    RsrcTags = 1u << 10,
    CqeSkip = 1u << 11,
    LinkedFile = 1u << 12,
    RegRegRing = 1u << 13,
    /// <summary>Send and receive bundles over provided buffer rings (6.10).</summary>
    RecvSendBundle = 1u << 14,
    MinTimeout = 1u << 15,
    RwAttr = 1u << 16,
    NoIoWait = 1u << 17,
}
