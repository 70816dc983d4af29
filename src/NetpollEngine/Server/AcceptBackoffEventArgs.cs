using System.Net;
using System.Net.Sockets;

namespace Netpoll.Server;

/// <summary>Accept paused because the process or system ran out of file descriptors (or memory).</summary>
public sealed class AcceptBackoffEventArgs(EndPoint listener, SocketError error, TimeSpan pause) : EventArgs
{
    public EndPoint Listener { get; } = listener;

    /// <summary>TooManyOpenSockets for EMFILE/ENFILE, NoBufferSpaceAvailable for ENOBUFS/ENOMEM.</summary>
    public SocketError Error { get; } = error;

    /// <summary>How long accept stays paused before it tries again.</summary>
    public TimeSpan Pause { get; } = pause;
}
