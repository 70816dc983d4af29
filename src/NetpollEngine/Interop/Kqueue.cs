using System.Runtime.InteropServices;

namespace Netpoll.Interop;

/// <summary>kqueue bindings (macOS/BSD). struct kevent on 64-bit: ident, filter, flags, fflags, data, udata (32 bytes).</summary>
internal static unsafe partial class Kqueue
{
    public const short EVFILT_READ = -1;
    public const short EVFILT_WRITE = -2;
    public const short EVFILT_USER = -10;

    public const ushort EV_ADD = 0x0001;
    public const ushort EV_DELETE = 0x0002;
    public const ushort EV_ENABLE = 0x0004;
    public const ushort EV_DISABLE = 0x0008;
    public const ushort EV_CLEAR = 0x0020;
    public const ushort EV_RECEIPT = 0x0040;
    public const ushort EV_EOF = 0x8000;
    public const ushort EV_ERROR = 0x4000;

    public const uint NOTE_TRIGGER = 0x01000000;

    [StructLayout(LayoutKind.Sequential)]
    public struct KEvent
    {
        public nuint Ident;
        public short Filter;
        public ushort Flags;
        public uint FilterFlags;
        public nint Data;
        public nuint UserData;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct TimeSpec
    {
        public nint Seconds;
        public nint Nanoseconds;
    }

    [LibraryImport("libc", EntryPoint = "kqueue", SetLastError = true)]
    public static partial int Create();

    [LibraryImport("libc", EntryPoint = "kevent", SetLastError = true)]
    public static partial int KEventCall(int kq, KEvent* changes, int changeCount, KEvent* events, int eventCount, TimeSpec* timeout);
}
