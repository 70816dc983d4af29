using System.Net.Sockets;

namespace Netpoll.Tests.IoUring;

/// <summary>A connected loopback TCP pair: io_uring works on <see cref="ServerFd"/>, the test talks through <see cref="Client"/>.</summary>
internal sealed class LoopbackPair : IDisposable
{
    private LoopbackPair(Socket client, Socket server)
    {
        Client = client;
        Server = server;
    }

    public Socket Client { get; }

    /// <summary>Kept open and otherwise unused while the ring works on its fd.</summary>
    public Socket Server { get; }

    public int ServerFd => RingHarness.FdOf(Server);

    public static LoopbackPair Open()
    {
        using Socket listener = RingHarness.Listen();
        Socket client = RingHarness.Connect(listener.LocalEndPoint!);
        Socket server = listener.Accept();
        return new LoopbackPair(client, server);
    }

    public void Dispose()
    {
        Client.Dispose();
        Server.Dispose();
    }
}
