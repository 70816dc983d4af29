using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Netpoll.Interop;

namespace Netpoll.Server;

/// <summary>
/// A bound, listening, non-blocking socket (TCP over IPv4/IPv6, or a Unix domain socket), ready for
/// <see cref="EventLoop.ServeAsync"/>. Created and bound at once so the real port is known.
/// </summary>
public sealed class NetpollListener : IDisposable
{
    private int _fd;

    private NetpollListener(int fd, EndPoint requested, EndPoint local, int backlog)
    {
        _fd = fd;
        RequestedEndPoint = requested;
        LocalEndPoint = local;
        Backlog = backlog;
    }

    /// <summary>The bound address, with the real port when port 0 was asked for.</summary>
    public EndPoint LocalEndPoint { get; }

    public EndPoint RequestedEndPoint { get; }

    public int Backlog { get; }

    internal int Fd => _fd;

    internal bool IsUnix => LocalEndPoint is UnixDomainSocketEndPoint;

    /// <summary>Binds and listens on <paramref name="endPoint"/>.</summary>
    /// <exception cref="SocketException">The address is in use, not available, or not permitted (the message names it).</exception>
    public static NetpollListener Create(EndPoint endPoint, ListenerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        options ??= new ListenerOptions();
        if (options.Backlog < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.Backlog, "Backlog must be zero (system maximum) or more.");
        }

        int fd = NativeSocket.CreateStream(endPoint);
        try
        {
            if (endPoint is not UnixDomainSocketEndPoint)
            {
                NativeSocket.SetInt(fd, SocketConstants.SOL_SOCKET, SocketConstants.SO_REUSEADDR, 1);
            }

            if (options.ReusePort)
            {
                NativeSocket.SetInt(fd, SocketConstants.SOL_SOCKET, SocketConstants.SO_REUSEPORT, 1);
            }

            if (endPoint.AddressFamily == AddressFamily.InterNetworkV6)
            {
                NativeSocket.SetInt(fd, SocketConstants.IPPROTO_IPV6, SocketConstants.IPV6_V6ONLY, options.DualMode ? 0 : 1);
            }

            NativeSocket.Bind(fd, endPoint);
            int backlog = options.Backlog > 0 ? options.Backlog : SystemBacklog();
            NativeSocket.Listen(fd, backlog, endPoint);
            EndPoint local = NativeSocket.LocalEndPoint(fd, endPoint) ?? endPoint;
            return new NetpollListener(fd, endPoint, local, backlog);
        }
        catch
        {
            _ = Libc.Close(fd);
            throw;
        }
    }

    /// <summary>
    /// Stops listening but keeps the socket and its address: connection attempts are refused and those
    /// queued for accept are reset. False where the platform cannot (Linux can: shutdown(SHUT_RD)).
    /// </summary>
    internal bool TryStopListening() =>
        OperatingSystem.IsLinux() && Libc.Shutdown(_fd, SocketConstants.SHUT_RD) == 0;

    /// <summary>Listens again after <see cref="TryStopListening"/>, on the same address and port.</summary>
    /// <exception cref="SocketException">The port was taken meanwhile, or listen failed.</exception>
    internal void ListenAgain()
    {
        try
        {
            // A port the kernel chose (port 0 was asked for) is given back when a listener shuts down:
            // bind the same one again. A port asked for by number stays bound, and bind says EINVAL.
            NativeSocket.Bind(_fd, LocalEndPoint);
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.InvalidArgument)
        {
        }

        NativeSocket.Listen(_fd, Backlog, LocalEndPoint);
    }

    /// <summary>TCP on 127.0.0.1 and the given port (0: any free port).</summary>
    public static NetpollListener Create(int port) => Create(new IPEndPoint(IPAddress.Loopback, port));

    /// <summary>net.core.somaxconn on Linux; 128 elsewhere or when it cannot be read.</summary>
    public static int SystemBacklog()
    {
        try
        {
            if (OperatingSystem.IsLinux())
            {
                string text = File.ReadAllText("/proc/sys/net/core/somaxconn").Trim();
                return int.Parse(text, CultureInfo.InvariantCulture);
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
        catch (FormatException)
        {
        }

        return 128;
    }

    /// <summary>Closes the socket (and removes a Unix socket's file).</summary>
    public void Dispose()
    {
        int fd = Interlocked.Exchange(ref _fd, -1);
        if (fd < 0)
        {
            return;
        }

        _ = Libc.Close(fd);
        if (LocalEndPoint is UnixDomainSocketEndPoint unix)
        {
            string path = unix.ToString();
            if (!string.IsNullOrEmpty(path) && path[0] != '\0' && path[0] != '@')
            {
                _ = Libc.Unlink(path);
            }
        }
    }

    public override string ToString() => NativeSocket.Describe(LocalEndPoint);
}
