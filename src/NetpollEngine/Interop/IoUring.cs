using System.Runtime.InteropServices;

namespace Netpoll.Interop;

/// <summary>
/// The three io_uring system calls and the mappings of its rings (Linux 5.1+). glibc has no wrappers,
/// so they go through libc's <c>syscall</c>: no native library to ship. The numbers are the same on
/// x86-64 and on every asm-generic architecture (aarch64, riscv64): 425, 426, 427.
/// </summary>
/// <remarks>
/// <c>syscall</c> is variadic; binding it with six fixed word-sized arguments is safe on the 64-bit
/// Linux ABIs .NET runs on (x86-64 SysV, AAPCS64): variadic integer arguments travel in the same
/// registers, and glibc's assembly stub reads all six regardless of how many the caller meant.
/// </remarks>
internal static unsafe partial class IoUring
{
    public const int SYS_io_uring_setup = 425;
    public const int SYS_io_uring_enter = 426;
    public const int SYS_io_uring_register = 427;

    /// <summary>mmap offsets that select which ring a mapping of the ring fd shows.</summary>
    public const long IORING_OFF_SQ_RING = 0;
    public const long IORING_OFF_CQ_RING = 0x8000000;
    public const long IORING_OFF_SQES = 0x10000000;

    // io_uring_enter flags
    public const uint IORING_ENTER_GETEVENTS = 1u << 0;
    public const uint IORING_ENTER_SQ_WAKEUP = 1u << 1;
    public const uint IORING_ENTER_SQ_WAIT = 1u << 2;
    public const uint IORING_ENTER_EXT_ARG = 1u << 3;

    // sq_ring->flags, written by the kernel
    public const uint IORING_SQ_NEED_WAKEUP = 1u << 0;
    public const uint IORING_SQ_CQ_OVERFLOW = 1u << 1;
    public const uint IORING_SQ_TASKRUN = 1u << 2;

    // io_uring_register opcodes
    public const uint IORING_REGISTER_PROBE = 8;
    public const uint IORING_REGISTER_ENABLE_RINGS = 12;
    public const uint IORING_REGISTER_FILES2 = 13;
    public const uint IORING_REGISTER_PBUF_RING = 22;

    /// <summary>io_uring_rsrc_register.flags: a table of empty slots (5.19).</summary>
    public const uint IORING_RSRC_REGISTER_SPARSE = 1u << 0;
    public const uint IORING_UNREGISTER_PBUF_RING = 23;

    /// <summary>Size of the kernel's sigset_t (_NSIG / 8), which EXT_ARG waits must state even without a mask.</summary>
    public const uint KernelSigsetSize = 8;

    // errno values the io_uring paths meet that the engine's Errno does not list (Linux numbering).
    public const int EPERM = 1;
    public const int EINTR = 4;
    public const int EAGAIN = 11;
    public const int ENOMEM = 12;
    public const int EBUSY = 16;
    public const int EEXIST = 17;
    public const int EINVAL = 22;
    public const int EMFILE = 24;
    public const int ENOSYS = 38;
    public const int ETIME = 62;
    public const int EOPNOTSUPP = 95;
    public const int ENOBUFS = 105;
    public const int ECANCELED = 125;

    private const int PROT_READ = 0x1;
    private const int PROT_WRITE = 0x2;
    private const int MAP_SHARED = 0x01;
    private const int MAP_POPULATE = 0x8000;
    private static readonly void* MapFailed = (void*)-1;

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static partial nint Syscall(nint number, nint a1, nint a2, nint a3, nint a4, nint a5, nint a6);

    [LibraryImport("libc", EntryPoint = "mmap", SetLastError = true)]
    private static partial void* Mmap(void* address, nuint length, int protection, int flags, int fd, long offset);

    [LibraryImport("libc", EntryPoint = "munmap", SetLastError = true)]
    private static partial int Munmap(void* address, nuint length);

    /// <summary>io_uring_setup(2): returns the ring fd, or -1 with errno in <see cref="Libc.LastError"/>.</summary>
    public static int Setup(uint entries, IoUringParams* parameters) =>
        (int)Syscall(SYS_io_uring_setup, (nint)entries, (nint)parameters, 0, 0, 0, 0);

    /// <summary>io_uring_enter(2): returns SQEs consumed, or -1 with errno.</summary>
    public static int Enter(int ringFd, uint toSubmit, uint minComplete, uint flags, void* argument, nuint argumentSize) =>
        (int)Syscall(SYS_io_uring_enter, ringFd, (nint)toSubmit, (nint)minComplete, (nint)flags, (nint)argument, (nint)argumentSize);

    /// <summary>io_uring_register(2): returns ≥ 0, or -1 with errno.</summary>
    public static int Register(int ringFd, uint opcode, void* argument, uint count) =>
        (int)Syscall(SYS_io_uring_register, ringFd, (nint)opcode, (nint)argument, (nint)count, 0, 0);

    /// <summary>Maps one region of the ring fd, shared with the kernel; null with errno on failure.</summary>
    public static byte* MapRing(int ringFd, nuint length, long offset)
    {
        void* address = Mmap(null, length, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, ringFd, offset);
        return address == MapFailed ? null : (byte*)address;
    }

    public static void Unmap(byte* address, nuint length)
    {
        if (address is not null)
        {
            _ = Munmap(address, length);
        }
    }

    public static int LastError => Marshal.GetLastPInvokeError();
}
