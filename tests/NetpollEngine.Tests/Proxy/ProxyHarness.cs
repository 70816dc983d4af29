using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Netpoll.Proxy;
using Netpoll.Tests.Support;

namespace Netpoll.Tests.Proxy;

/// <summary>Starts proxies in front of test upstreams on 127.0.0.1:0, and the plain-socket peers that drive them.</summary>
internal static class ProxyHarness
{
    public static TcpProxy Start(EndPoint upstream, Func<TcpProxyOptions, TcpProxyOptions>? configure = null)
    {
        var options = new TcpProxyOptions { Upstream = upstream, Pollers = 1, DialTimeout = TimeSpan.FromSeconds(5) };
        options = configure?.Invoke(options) ?? options;
        TcpProxy proxy = TcpProxy.Start(options);
        BackendMatrix.Check(options.Backend, proxy.BackendInUse, proxy.BackendReason);
        return proxy;
    }

    public static async Task<Socket> ConnectAsync(EndPoint endPoint)
    {
        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await socket.ConnectAsync(endPoint, cts.Token);
        return socket;
    }

    public static byte[] RandomBytes(int size, int seed)
    {
        var bytes = new byte[size];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    /// <summary>Sends one byte-string and measures how long until <paramref name="expected"/> bytes came back.</summary>
    public static async Task<TimeSpan> RoundTripAsync(Socket client, int size = 1, int expected = -1)
    {
        long start = Environment.TickCount64;
        await client.SendAsync(new byte[size]);
        await client.ReceiveExactlyAsync(expected < 0 ? size : expected, 20_000);
        return TimeSpan.FromMilliseconds(Environment.TickCount64 - start);
    }

    /// <summary>Waits (bounded) until the peer acknowledged every byte written to <paramref name="socket"/> (Linux TCP_INFO).</summary>
    public static async Task WaitUntilAcknowledgedAsync(Socket socket, int timeoutMs = 20_000)
    {
        var info = new byte[232];
        long until = Environment.TickCount64 + timeoutMs;
        while (true)
        {
            int length = socket.GetRawSocketOption(6 /* IPPROTO_TCP */, 11 /* TCP_INFO */, info);
            Assert.True(length >= 148, "TCP_INFO is too short to read tcpi_unacked and tcpi_notsent_bytes");
            uint unacked = BinaryPrimitives.ReadUInt32LittleEndian(info.AsSpan(24));
            uint notSent = BinaryPrimitives.ReadUInt32LittleEndian(info.AsSpan(144));
            if (unacked == 0 && notSent == 0)
            {
                return;
            }

            if (Environment.TickCount64 > until)
            {
                throw new TimeoutException($"The peer did not acknowledge everything within {timeoutMs} ms ({unacked} segments unacknowledged, {notSent} bytes not sent).");
            }

            await Task.Delay(2);
        }
    }

    /// <summary>Reads until EOF or a reset (bounded), slowly when asked; returns what arrived and how it ended.</summary>
    public static async Task<(byte[] Data, SocketError End)> ReceiveUntilClosedAsync(Socket socket, int chunk = 64 * 1024, int pauseMs = 0, int timeoutMs = 30_000)
    {
        using var cts = new CancellationTokenSource(timeoutMs);
        var all = new MemoryStream();
        var buffer = new byte[chunk];
        try
        {
            while (true)
            {
                int n = await socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token);
                if (n == 0)
                {
                    return (all.ToArray(), SocketError.Success);
                }

                all.Write(buffer, 0, n);
                if (pauseMs > 0)
                {
                    await Task.Delay(pauseMs, cts.Token);
                }
            }
        }
        catch (SocketException ex)
        {
            return (all.ToArray(), ex.SocketErrorCode);
        }
    }

    /// <summary>Closes with a TCP reset (SO_LINGER 0).</summary>
    public static void Reset(Socket socket)
    {
        socket.LingerState = new LingerOption(true, 0);
        socket.Close();
    }

    public static Task Eventually(Func<bool> condition, string what, int timeoutMs = 10_000) => TestServer.Eventually(condition, what, timeoutMs);
}

/// <summary>An upstream the test drives by hand: a plain listening socket on 127.0.0.1:0.</summary>
internal sealed class RawUpstream : IDisposable
{
    private readonly Socket _listener = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);

    public RawUpstream(int backlog = 512)
    {
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen(backlog);
    }

    public IPEndPoint EndPoint => (IPEndPoint)_listener.LocalEndPoint!;

    public async Task<Socket> AcceptAsync(int timeoutMs = 10_000)
    {
        using var cts = new CancellationTokenSource(timeoutMs);
        Socket accepted = await _listener.AcceptAsync(cts.Token);
        accepted.NoDelay = true;
        return accepted;
    }

    public void Dispose() => _listener.Dispose();
}
