using System.Runtime.InteropServices;

namespace Netpoll.Interop;

/// <summary>struct io_uring_getevents_arg (24 bytes): io_uring_enter's argument with IORING_ENTER_EXT_ARG (5.11).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct IoUringGetEventsArg
{
    public ulong SignalMask;
    public uint SignalMaskSize;
    /// <summary>6.12: wait at least this long for more than the first completion (0: off).</summary>
    public uint MinWaitMicroseconds;
    /// <summary>Pointer to a <see cref="KernelTimespec"/>, or 0 to wait without a limit.</summary>
    public ulong Timespec;
}

/// <summary>struct __kernel_timespec: 64-bit seconds and nanoseconds on every architecture.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct KernelTimespec
{
    public long Seconds;
    public long Nanoseconds;

    public static KernelTimespec FromMilliseconds(long milliseconds) => new()
    {
        Seconds = milliseconds / 1000,
        Nanoseconds = milliseconds % 1000 * 1_000_000,
    };
}
