namespace Netpoll.Interop;

/// <summary>errno values, which differ between Linux and the BSDs (macOS).</summary>
internal static class Errno
{
    private static readonly bool Linux = OperatingSystem.IsLinux();

    public static readonly int EINTR = 4;
    public static readonly int EBADF = 9;
    public static readonly int ENOMEM = 12;
    public static readonly int EACCES = 13;
    public static readonly int EINVAL = 22;
    public static readonly int ENFILE = 23;
    public static readonly int EMFILE = 24;
    public static readonly int EPIPE = 32;
    public static readonly int EAGAIN = Linux ? 11 : 35;
    public static readonly int EINPROGRESS = Linux ? 115 : 36;
    public static readonly int EALREADY = Linux ? 114 : 37;
    public static readonly int EADDRINUSE = Linux ? 98 : 48;
    public static readonly int EADDRNOTAVAIL = Linux ? 99 : 49;
    public static readonly int ENETUNREACH = Linux ? 101 : 51;
    public static readonly int ECONNABORTED = Linux ? 103 : 53;
    public static readonly int ECONNRESET = Linux ? 104 : 54;
    public static readonly int ENOBUFS = Linux ? 105 : 55;
    public static readonly int EISCONN = Linux ? 106 : 56;
    public static readonly int ENOTCONN = Linux ? 107 : 57;
    public static readonly int ETIMEDOUT = Linux ? 110 : 60;
    public static readonly int ECONNREFUSED = Linux ? 111 : 61;
    public static readonly int EHOSTUNREACH = Linux ? 113 : 65;
    public static readonly int ENOENT = 2;
}
