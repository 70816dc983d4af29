using System.Net;
using System.Net.Sockets;

namespace Netpoll.Interop;

/// <summary>Socket setup calls on raw fds: create, bind, listen, accept, connect, options, names.</summary>
internal static unsafe class NativeSocket
{
    public static int FamilyOf(EndPoint endPoint) => endPoint.AddressFamily switch
    {
        AddressFamily.InterNetwork => SocketConstants.AF_INET,
        AddressFamily.InterNetworkV6 => SocketConstants.AF_INET6,
        AddressFamily.Unix => SocketConstants.AF_UNIX,
        _ => throw new ArgumentException($"Address family {endPoint.AddressFamily} is not supported; use IPv4, IPv6 or a Unix domain socket.", nameof(endPoint)),
    };

    /// <summary>A non-blocking, close-on-exec stream socket.</summary>
    public static int CreateStream(EndPoint endPoint)
    {
        int family = FamilyOf(endPoint);
        int fd = Libc.Socket(family, SocketConstants.SOCK_STREAM | SocketConstants.SOCK_NONBLOCK | SocketConstants.SOCK_CLOEXEC, 0);
        if (fd < 0)
        {
            throw SocketErrors.Create("socket", Libc.LastError, $"for {endPoint}");
        }

        if (!OperatingSystem.IsLinux())
        {
            MakeNonBlocking(fd);
            _ = Libc.Fcntl(fd, SocketConstants.F_SETFD, SocketConstants.FD_CLOEXEC);
            SetInt(fd, SocketConstants.SOL_SOCKET, SocketConstants.SO_NOSIGPIPE, 1);
        }

        return fd;
    }

    public static void MakeNonBlocking(int fd)
    {
        int flags = Libc.Fcntl(fd, SocketConstants.F_GETFL, 0);
        if (flags < 0 || Libc.Fcntl(fd, SocketConstants.F_SETFL, flags | SocketConstants.O_NONBLOCK) < 0)
        {
            throw SocketErrors.Last("fcntl(O_NONBLOCK)");
        }
    }

    public static void SetInt(int fd, int level, int name, int value)
    {
        if (Libc.SetSockOpt(fd, level, name, &value, sizeof(int)) < 0)
        {
            throw SocketErrors.Create("setsockopt", Libc.LastError, $"(level {level}, option {name})");
        }
    }

    public static int GetInt(int fd, int level, int name)
    {
        int value = 0;
        uint length = sizeof(int);
        return Libc.GetSockOpt(fd, level, name, &value, &length) < 0 ? -1 : value;
    }

    /// <summary>Pending error of a socket (SO_ERROR), e.g. the result of a non-blocking connect.</summary>
    public static int PendingError(int fd)
    {
        int value = 0;
        uint length = sizeof(int);
        return Libc.GetSockOpt(fd, SocketConstants.SOL_SOCKET, SocketConstants.SO_ERROR, &value, &length) < 0 ? Libc.LastError : value;
    }

    public static void SetNoDelay(int fd) => SetInt(fd, SocketConstants.IPPROTO_TCP, SocketConstants.TCP_NODELAY, 1);

    /// <summary>
    /// Bytes written that the peer has not acknowledged, as a yes/no: Linux reads TCP_INFO (tcpi_unacked,
    /// tcpi_notsent_bytes), macOS SO_NWRITE. False when the kernel cannot say (not TCP).
    /// </summary>
    public static bool HasUnacknowledgedOutput(int fd)
    {
        if (OperatingSystem.IsLinux())
        {
            const int UnackedOffset = 24, NotSentOffset = 144, Size = 256;
            byte* info = stackalloc byte[Size];
            uint length = Size;
            if (Libc.GetSockOpt(fd, SocketConstants.IPPROTO_TCP, SocketConstants.TCP_INFO, info, &length) < 0 || length < NotSentOffset + 4)
            {
                return false;
            }

            return *(uint*)(info + UnackedOffset) != 0 || *(uint*)(info + NotSentOffset) != 0;
        }

        return GetInt(fd, SocketConstants.SOL_SOCKET, SocketConstants.SO_NWRITE) > 0;
    }

    /// <summary>Closes with RST instead of FIN (SO_LINGER 0): used by a forced shutdown.</summary>
    public static void SetAbortiveClose(int fd)
    {
        long linger = 1; // struct linger { int l_onoff = 1; int l_linger = 0; }
        _ = Libc.SetSockOpt(fd, SocketConstants.SOL_SOCKET, SocketConstants.SO_LINGER, &linger, 8);
    }

    /// <summary>Refuses a connection just accepted, the way a closed port refuses it: closed with RST at once.</summary>
    public static void Reset(int fd)
    {
        SetAbortiveClose(fd);
        _ = Libc.Close(fd);
    }

    public static void Bind(int fd, EndPoint endPoint)
    {
        SocketAddress address = endPoint.Serialize();
        fixed (byte* p = address.Buffer.Span)
        {
            if (Libc.Bind(fd, p, (uint)address.Size) < 0)
            {
                throw SocketErrors.Create("bind", Libc.LastError, $"to {Describe(endPoint)}");
            }
        }
    }

    public static void Listen(int fd, int backlog, EndPoint endPoint)
    {
        if (Libc.Listen(fd, backlog) < 0)
        {
            throw SocketErrors.Create("listen", Libc.LastError, $"on {Describe(endPoint)}");
        }
    }

    /// <summary>Starts a non-blocking connect; returns 0 when connected, EINPROGRESS when pending, or another errno.</summary>
    public static int StartConnect(int fd, EndPoint endPoint)
    {
        SocketAddress address = endPoint.Serialize();
        fixed (byte* p = address.Buffer.Span)
        {
            while (true)
            {
                if (Libc.Connect(fd, p, (uint)address.Size) == 0)
                {
                    return 0;
                }

                int errno = Libc.LastError;
                if (errno != Errno.EINTR)
                {
                    return errno;
                }
            }
        }
    }

    /// <summary>Accepts one connection as non-blocking; returns the fd, or -1 with errno in <paramref name="errno"/>.</summary>
    public static int Accept(int listenFd, out int errno)
    {
        while (true)
        {
            int fd = OperatingSystem.IsLinux()
                ? Libc.Accept4(listenFd, null, null, SocketConstants.SOCK_NONBLOCK | SocketConstants.SOCK_CLOEXEC)
                : Libc.Accept(listenFd, null, null);
            if (fd >= 0)
            {
                if (!OperatingSystem.IsLinux())
                {
                    MakeNonBlocking(fd);
                    _ = Libc.Fcntl(fd, SocketConstants.F_SETFD, SocketConstants.FD_CLOEXEC);
                    SetInt(fd, SocketConstants.SOL_SOCKET, SocketConstants.SO_NOSIGPIPE, 1);
                }

                errno = 0;
                return fd;
            }

            errno = Libc.LastError;
            if (errno != Errno.EINTR)
            {
                return -1;
            }
        }
    }

    public static EndPoint? LocalEndPoint(int fd, EndPoint template) => Name(fd, template, local: true);

    public static EndPoint? RemoteEndPoint(int fd, EndPoint template) => Name(fd, template, local: false);

    public static string Describe(EndPoint endPoint) =>
        endPoint is UnixDomainSocketEndPoint unix ? $"unix:{unix}" : endPoint.ToString() ?? "?";

    private static EndPoint? Name(int fd, EndPoint template, bool local)
    {
        var address = new SocketAddress(template.AddressFamily, SocketAddress.GetMaximumAddressSize(template.AddressFamily));
        uint length = (uint)address.Size;
        fixed (byte* p = address.Buffer.Span)
        {
            int rc = local ? Libc.GetSockName(fd, p, &length) : Libc.GetPeerName(fd, p, &length);
            if (rc < 0)
            {
                return null;
            }
        }

        if (template is UnixDomainSocketEndPoint)
        {
            return template; // the path is what the caller gave; peers of a listener are unnamed
        }

        address.Size = (int)length;
        return template.Create(address);
    }
}
