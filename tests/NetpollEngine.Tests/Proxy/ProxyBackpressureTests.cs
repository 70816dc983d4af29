using System.Net.Sockets;
using Netpoll.Connections;
using Netpoll.Proxy;

namespace Netpoll.Tests.Proxy;

/// <summary>
/// A slow reader on either side stops the proxy reading the other side: what the proxy holds stays
/// bounded by its water marks (the rest waits in the sender's kernel), and nothing is lost.
/// </summary>
public class ProxyBackpressureTests
{
    private const int HighWater = 256 * 1024;
    private const int Total = 24 * 1024 * 1024;

    // Per direction: the source's input up to the mark plus one read (64 KiB), and the same moved to the
    // destination's output; pooled blocks are rented whole. A pair moving one way holds at most that.
    private const long Bound = 2 * (HighWater + 64 * 1024) + 256 * 1024;

    [Fact]
    public async Task A_client_that_does_not_read_stops_the_proxy_reading_the_upstream_and_memory_stays_bounded()
    {
        using var upstream = new RawUpstream();
        await using TcpProxy proxy = StartProxy(upstream);
        using Socket client = await ProxyHarness.ConnectAsync(proxy.EndPoint);
        using Socket server = await upstream.AcceptAsync();
        byte[] data = ProxyHarness.RandomBytes(Total, 7);

        Task sending = server.SendAsync(data);
        await ProxyHarness.Eventually(() => proxy.GetUpstreamPollerStats().Sum(p => p.Paused) == 1, "the proxy paused reading the upstream", 20_000);
        await AssertHeldWithinBound(proxy, sending);

        (byte[] received, SocketError _) = await ReadAllAfterSenderClosesAsync(client, sending, server);
        Assert.True(data.AsSpan().SequenceEqual(received), $"sent {data.Length} bytes, the client got {received.Length}, not the same");
    }

    [Fact]
    public async Task An_upstream_that_does_not_read_stops_the_proxy_reading_the_client_and_memory_stays_bounded()
    {
        using var upstream = new RawUpstream();
        await using TcpProxy proxy = StartProxy(upstream);
        using Socket client = await ProxyHarness.ConnectAsync(proxy.EndPoint);
        using Socket server = await upstream.AcceptAsync();
        byte[] data = ProxyHarness.RandomBytes(Total, 8);

        Task sending = client.SendAsync(data);
        await ProxyHarness.Eventually(() => proxy.GetClientPollerStats().Sum(p => p.Paused) == 1, "the proxy paused reading the client", 20_000);
        await AssertHeldWithinBound(proxy, sending);

        (byte[] received, SocketError _) = await ReadAllAfterSenderClosesAsync(server, sending, client);
        Assert.True(data.AsSpan().SequenceEqual(received), $"sent {data.Length} bytes, the upstream got {received.Length}, not the same");
    }

    private static TcpProxy StartProxy(RawUpstream upstream) => ProxyHarness.Start(upstream.EndPoint, o => o with
    {
        Connection = new ConnectionOptions { InputHighWaterMark = HighWater, InputLowWaterMark = HighWater / 4 },
    });

    /// <summary>While the reader stalls, the sender is held back and the proxy holds no more than the bound.</summary>
    private static async Task AssertHeldWithinBound(TcpProxy proxy, Task sending)
    {
        for (int i = 0; i < 10; i++)
        {
            long held = proxy.GetBufferStatistics().RentedBytes;
            Assert.True(held <= Bound, $"the proxy holds {held} bytes of buffers while a reader stalls; the marks allow {Bound}");
            await Task.Delay(30);
        }

        Assert.False(sending.IsCompleted, "the sender should be held back, not absorbed by the proxy");
    }

    private static async Task<(byte[], SocketError)> ReadAllAfterSenderClosesAsync(Socket reader, Task sending, Socket sender)
    {
        Task<(byte[] Data, SocketError End)> reading = ProxyHarness.ReceiveUntilClosedAsync(reader, timeoutMs: 60_000);
        await sending.WaitAsync(TimeSpan.FromSeconds(60));
        sender.Shutdown(SocketShutdown.Send);
        return await reading;
    }
}
