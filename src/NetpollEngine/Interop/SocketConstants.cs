namespace Netpoll.Interop;

/// <summary>Socket-level constants, chosen for the running OS (Linux or macOS/BSD).</summary>
internal static class SocketConstants
{
    private static readonly bool Linux = OperatingSystem.IsLinux();

    public const int AF_UNIX = 1;
    public const int AF_INET = 2;
    public static readonly int AF_INET6 = Linux ? 10 : 30;

    public const int SOCK_STREAM = 1;
    public static readonly int SOCK_NONBLOCK = Linux ? 0x800 : 0;
    public static readonly int SOCK_CLOEXEC = Linux ? 0x80000 : 0;

    public static readonly int SOL_SOCKET = Linux ? 1 : 0xffff;
    public static readonly int SO_REUSEADDR = Linux ? 2 : 0x4;
    public static readonly int SO_ERROR = Linux ? 4 : 0x1007;
    public static readonly int SO_REUSEPORT = Linux ? 15 : 0x200;
    public static readonly int SO_NOSIGPIPE = Linux ? 0 : 0x1022;
    public static readonly int SO_LINGER = Linux ? 13 : 0x80;

    public const int IPPROTO_IP = 0;
    public const int IPPROTO_TCP = 6;

    /// <summary>Linux 4.2+: bind(addr:0) reserves no port; connect picks it, with the 4-tuple in mind.</summary>
    public const int IP_BIND_ADDRESS_NO_PORT = 24;
    public const int IPPROTO_IPV6 = 41;
    public const int TCP_NODELAY = 1;
    public const int TCP_INFO = 11;     // Linux: struct tcp_info

    /// <summary>macOS: bytes in the send buffer not yet acknowledged.</summary>
    public const int SO_NWRITE = 0x1024;
    public static readonly int IPV6_V6ONLY = Linux ? 26 : 27;

    public static readonly int MSG_NOSIGNAL = Linux ? 0x4000 : 0;

    public const int SHUT_RD = 0;
    public const int SHUT_WR = 1;
    public const int SHUT_RDWR = 2;

    public const int F_GETFL = 3;
    public const int F_SETFL = 4;
    public static readonly int O_NONBLOCK = Linux ? 0x800 : 0x4;
    public const int F_SETFD = 2;
    public const int FD_CLOEXEC = 1;
}
