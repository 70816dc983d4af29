using System.Runtime.InteropServices;

namespace Netpoll.Interop;

/// <summary>The libc calls the engine makes. errno is captured by SetLastError and read with Marshal.GetLastPInvokeError.</summary>
internal static unsafe partial class Libc
{
    private const string Lib = "libc";

    public const int RLIMIT_NOFILE = 7;

    /// <summary>getrlimit(2); <paramref name="limits"/> is { soft, hard } (struct rlimit on 64-bit Linux).</summary>
    [LibraryImport(Lib, EntryPoint = "getrlimit", SetLastError = true)]
    public static partial int GetRLimit(int resource, ulong* limits);

    /// <summary>RLIMIT_NOFILE's soft limit now (it can change while serving: a user's ulimit, a test); null if unreadable.</summary>
    public static ulong? OpenFileSoftLimit()
    {
        ulong* limits = stackalloc ulong[2];
        return GetRLimit(RLIMIT_NOFILE, limits) == 0 ? limits[0] : null;
    }

    [LibraryImport(Lib, EntryPoint = "socket", SetLastError = true)]
    public static partial int Socket(int domain, int type, int protocol);

    [LibraryImport(Lib, EntryPoint = "bind", SetLastError = true)]
    public static partial int Bind(int fd, byte* address, uint length);

    [LibraryImport(Lib, EntryPoint = "listen", SetLastError = true)]
    public static partial int Listen(int fd, int backlog);

    [LibraryImport(Lib, EntryPoint = "accept4", SetLastError = true)]
    public static partial int Accept4(int fd, byte* address, uint* length, int flags);

    [LibraryImport(Lib, EntryPoint = "accept", SetLastError = true)]
    public static partial int Accept(int fd, byte* address, uint* length);

    [LibraryImport(Lib, EntryPoint = "connect", SetLastError = true)]
    public static partial int Connect(int fd, byte* address, uint length);

    [LibraryImport(Lib, EntryPoint = "getsockname", SetLastError = true)]
    public static partial int GetSockName(int fd, byte* address, uint* length);

    [LibraryImport(Lib, EntryPoint = "getpeername", SetLastError = true)]
    public static partial int GetPeerName(int fd, byte* address, uint* length);

    [LibraryImport(Lib, EntryPoint = "setsockopt", SetLastError = true)]
    public static partial int SetSockOpt(int fd, int level, int name, void* value, uint length);

    [LibraryImport(Lib, EntryPoint = "getsockopt", SetLastError = true)]
    public static partial int GetSockOpt(int fd, int level, int name, void* value, uint* length);

    [LibraryImport(Lib, EntryPoint = "fcntl", SetLastError = true)]
    public static partial int Fcntl(int fd, int command, int argument);

    [LibraryImport(Lib, EntryPoint = "read", SetLastError = true)]
    public static partial nint Read(int fd, byte* buffer, nuint count);

    [LibraryImport(Lib, EntryPoint = "write", SetLastError = true)]
    public static partial nint Write(int fd, byte* buffer, nuint count);

    [LibraryImport(Lib, EntryPoint = "sendmsg", SetLastError = true)]
    public static partial nint SendMsg(int fd, MessageHeader* message, int flags);

    [LibraryImport(Lib, EntryPoint = "shutdown", SetLastError = true)]
    public static partial int Shutdown(int fd, int how);

    /// <summary>open(2) flag: the fd does not leak into a child process (the value differs on the BSDs).</summary>
    public static readonly int O_CLOEXEC = OperatingSystem.IsLinux() ? 0x80000 : 0x1000000;

    [LibraryImport(Lib, EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Open(string path, int flags);

    [LibraryImport(Lib, EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int fd);

    /// <summary>opendir(3): a DIR*, or 0 (errno says why).</summary>
    [LibraryImport(Lib, EntryPoint = "opendir", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial nint OpenDir(string path);

    /// <summary>readdir(3): the next entry (only its presence is used here: the layout differs by platform), or 0 at the end.</summary>
    [LibraryImport(Lib, EntryPoint = "readdir", SetLastError = true)]
    public static partial nint ReadDir(nint dir);

    [LibraryImport(Lib, EntryPoint = "closedir", SetLastError = true)]
    public static partial int CloseDir(nint dir);

    [LibraryImport(Lib, EntryPoint = "unlink", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Unlink(string path);

    public static int LastError => Marshal.GetLastPInvokeError();
}
