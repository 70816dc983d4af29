using System.Net;
using System.Net.Sockets;

namespace Netpoll.Load.Tests;

/// <summary>
/// An address on 127.0.0.1 that does not answer connects (neither accepts nor refuses them), as a firewalled host does:
/// a listener with no accept backlog that never accepts, whose one queue place a connect of its own takes, so Linux drops
/// every later SYN and a connect to it waits until its timeout.
/// </summary>
internal sealed class UnansweringListener : IDisposable
{
    private readonly Socket _listener = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
    private readonly Socket _filler = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);

    private UnansweringListener()
    {
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen(0);
    }

    public IPEndPoint EndPoint => (IPEndPoint)_listener.LocalEndPoint!;

    public static async Task<UnansweringListener> StartAsync()
    {
        var listener = new UnansweringListener();
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await listener._filler.ConnectAsync(listener.EndPoint, bound.Token); // takes the queue's one place
        return listener;
    }

    public void Dispose()
    {
        _filler.Dispose();
        _listener.Dispose();
    }
}
