using System.Net;
using System.Net.Sockets;
using Netpoll.Connections;
using Netpoll.Server;

namespace Netpoll.Tests.Support;

/// <summary>An EventLoop on 127.0.0.1:0 that shuts itself down when disposed.</summary>
internal sealed class TestServer : IAsyncDisposable
{
    private TestServer(EventLoop loop, NetpollListener listener, Task serving)
    {
        Loop = loop;
        Listener = listener;
        Serving = serving;
    }

    public EventLoop Loop { get; }

    public NetpollListener Listener { get; }

    public Task Serving { get; }

    public IPEndPoint EndPoint => (IPEndPoint)Listener.LocalEndPoint;

    public static TestServer Start(ConnectionHandler handler, EventLoopOptions? options = null, EndPoint? bind = null)
    {
        var loop = new EventLoop(handler, options);
        var listener = NetpollListener.Create(bind ?? new IPEndPoint(IPAddress.Loopback, 0));
        Task serving = loop.ServeAsync(listener);
        BackendMatrix.Check(loop.Options.Backend, loop.BackendInUse, loop.BackendReason);
        return new TestServer(loop, listener, serving);
    }

    public static TestServer Start(Func<Connection, ValueTask> onRequest, EventLoopOptions? options = null) =>
        Start(new DelegateTestHandler(onRequest), options);

    /// <summary>A plain System.Net.Sockets client, the peer most users will have.</summary>
    public async Task<Socket> ConnectSocketAsync()
    {
        var socket = new Socket(Listener.LocalEndPoint.AddressFamily, SocketType.Stream, Listener.LocalEndPoint is UnixDomainSocketEndPoint ? ProtocolType.Unspecified : ProtocolType.Tcp);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await socket.ConnectAsync(Listener.LocalEndPoint, cts.Token);
        return socket;
    }

    /// <summary>Waits (bounded) until <paramref name="condition"/> holds.</summary>
    public static Task Eventually(Func<bool> condition, string what, int timeoutMs = 10_000) => Eventually(condition, () => what, timeoutMs);

    /// <summary>As the other, with <paramref name="what"/> read when it times out (it can say how far the condition got).</summary>
    public static async Task Eventually(Func<bool> condition, Func<string> what, int timeoutMs = 10_000)
    {
        var until = Environment.TickCount64 + timeoutMs;
        while (!condition())
        {
            if (Environment.TickCount64 > until)
            {
                throw new TimeoutException($"Timed out after {timeoutMs} ms waiting until {what()}.");
            }

            await Task.Delay(5);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Loop.ShutdownAsync(TimeSpan.FromSeconds(5));
    }

    private sealed class DelegateTestHandler(Func<Connection, ValueTask> onRequest) : ConnectionHandler
    {
        public override ValueTask OnRequestAsync(Connection connection) => onRequest(connection);
    }
}
