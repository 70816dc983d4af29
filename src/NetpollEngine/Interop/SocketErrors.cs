using System.Net.Sockets;

namespace Netpoll.Interop;

/// <summary>Turns errno into the <see cref="SocketException"/> .NET developers already catch, with the operation named.</summary>
internal static class SocketErrors
{
    public static SocketError ToSocketError(int errno)
    {
        if (errno == Errno.ECONNREFUSED) return SocketError.ConnectionRefused;
        if (errno == Errno.ECONNRESET) return SocketError.ConnectionReset;
        if (errno == Errno.EPIPE) return SocketError.Shutdown;
        if (errno == Errno.ETIMEDOUT) return SocketError.TimedOut;
        if (errno == Errno.EADDRINUSE) return SocketError.AddressAlreadyInUse;
        if (errno == Errno.EADDRNOTAVAIL) return SocketError.AddressNotAvailable;
        if (errno == Errno.EMFILE || errno == Errno.ENFILE) return SocketError.TooManyOpenSockets;
        if (errno == Errno.ENOBUFS || errno == Errno.ENOMEM) return SocketError.NoBufferSpaceAvailable;
        if (errno == Errno.EACCES) return SocketError.AccessDenied;
        if (errno == Errno.ECONNABORTED) return SocketError.ConnectionAborted;
        if (errno == Errno.ENETUNREACH) return SocketError.NetworkUnreachable;
        if (errno == Errno.EHOSTUNREACH) return SocketError.HostUnreachable;
        if (errno == Errno.ENOTCONN) return SocketError.NotConnected;
        if (errno == Errno.EINVAL) return SocketError.InvalidArgument;
        if (errno == Errno.EAGAIN) return SocketError.WouldBlock;
        if (errno == Errno.EINPROGRESS) return SocketError.InProgress;
        if (errno == Errno.ENOENT) return SocketError.AddressNotAvailable;
        return SocketError.SocketError;
    }

    /// <summary>
    /// The exception for <paramref name="errno"/>: its <see cref="SocketError"/> as .NET maps it, and its message the errno's
    /// own text (strerror). Several errnos share a code (ENOENT, EADDRNOTAVAIL: AddressNotAvailable; EPIPE: Shutdown;
    /// ENFILE, EMFILE), and the code's text named the wrong fault: a missing Unix socket file read "Cannot assign requested
    /// address (errno 2)".
    /// </summary>
    public static SocketException Create(string operation, int errno, string? detail = null)
    {
        SocketError code = ToSocketError(errno);
        string text = System.Runtime.InteropServices.Marshal.GetPInvokeErrorMessage(errno);
        string message = detail is null
            ? $"{operation} failed: {text} (errno {errno})."
            : $"{operation} {detail} failed: {text} (errno {errno}).";
        return new SocketException((int)code, message);
    }

    /// <summary>
    /// The last failed call's error, read before anything else runs. A call site with a detail passes
    /// <c>Libc.LastError</c> to <see cref="Create"/> ahead of it (arguments run left to right): formatting the detail
    /// first may make P/Invokes of its own (the runtime's first globalization use at EMFILE did), and the last error is
    /// then theirs — a dialer's first socket() out of fds said "errno 203", not 24, and counted as Other.
    /// </summary>
    public static SocketException Last(string operation) => Create(operation, Libc.LastError);
}
