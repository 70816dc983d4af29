using System.Net.Sockets;
using Netpoll.Connections;
using Netpoll.Proxy;

namespace Netpoll.Tests.Proxy;

/// <summary>
/// A slow reader on either side stops the proxy reading the other side: what the proxy holds stays
/// bounded by its water marks (the rest waits in the sender's kernel), and nothing is lost.
/// </summary>
public class ProxyBackpressureTests : ProxyTestBase
{
    private const int HighWater = 256 * 1024;
    private const int Total = 24 * 1024 * 1024;

    // Per direction: the source's input up to the mark plus one read (64 KiB), and the same moved to the
    // destination's output; pooled blocks are rented whole. A pair moving one way holds at most that.
    private const long Bound = 2 * (HighWater + 64 * 1024) + 256 * 1024;

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_side_that_does_not_read_stops_the_proxy_reading_the_other_side_and_memory_stays_bounded(bool clientStalls)
    {
        await using ProxiedPair pair = await StartPairAsync(o => o with
        {
            Connection = new ConnectionOptions { InputHighWaterMark = HighWater, InputLowWaterMark = HighWater / 4 },
        });
        // A stalled client holds back what the upstream sends, and the reverse.
        (Socket sender, Socket reader) = clientStalls ? (pair.Server, pair.Client) : (pair.Client, pair.Server);
        byte[] data = ProxyHarness.RandomBytes(Total, 7);

        Task sending = sender.SendAsync(data);
        await ProxyHarness.Eventually(() => pair.Proxy.GetPollerStats().Sum(p => p.Paused) == 1, "the proxy paused reading the sender", 20_000);
        await AssertHeldWithinBound(pair.Proxy, sending);

        (byte[] received, SocketError _) = await ReadAllAfterSenderClosesAsync(reader, sending, sender);
        Assert.True(data.AsSpan().SequenceEqual(received), $"sent {data.Length} bytes, the other side got {received.Length}, not the same");
    }

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
