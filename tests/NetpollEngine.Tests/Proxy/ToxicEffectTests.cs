using System.Diagnostics;
using System.Net.Sockets;
using Netpoll.Proxy;
using Netpoll.Tests.Support;

namespace Netpoll.Tests.Proxy;

/// <summary>
/// What each toxic does, as a client or upstream sees it. Times are asserted only as lower bounds (a
/// delay the toxic must add) or generous upper bounds (it must not hang); never the engine's speed.
/// </summary>
public class ToxicEffectTests : ProxyTestBase
{
    [Fact]
    public async Task Latency_adds_at_least_its_delay_to_every_round_trip()
    {
        await using TestServer echo = TestServer.Start(new EchoHandler());
        await using TcpProxy proxy = StartProxy(echo.EndPoint);
        await proxy.AddToxicAsync(new LatencyToxic { Latency = TimeSpan.FromMilliseconds(150), Stream = ToxicStream.Upstream });
        await proxy.AddToxicAsync(new LatencyToxic { Latency = TimeSpan.FromMilliseconds(150), Jitter = TimeSpan.FromMilliseconds(50) });
        using Socket client = await ProxyHarness.ConnectAsync(proxy.EndPoint);

        for (int i = 0; i < 4; i++)
        {
            TimeSpan rtt = await ProxyHarness.RoundTripAsync(client, size: 100);
            Assert.InRange(rtt.TotalMilliseconds, 150 + 100 - 1, 20_000);
        }
    }

    [Fact]
    public async Task Bandwidth_holds_throughput_to_its_rate()
    {
        await using ProxiedPair pair = await StartPairAsync(new BandwidthToxic { Rate = 500 }); // 500 KB/s: 1 MB takes 2 s
        (Socket client, Socket server) = (pair.Client, pair.Server);
        byte[] data = ProxyHarness.RandomBytes(1_000_000, 3);

        var clock = Stopwatch.StartNew();
        await server.SendAsync(data);
        byte[] received = await client.ReceiveExactlyAsync(data.Length, 30_000);
        clock.Stop();

        Assert.Equal(data, received);
        // No faster than the rate allows (one 100 ms piece of slack); an upper bound only to catch a stall.
        Assert.InRange(clock.Elapsed.TotalSeconds, 1.9, 20);
    }

    [Fact]
    public async Task Slow_close_holds_the_FIN_back_by_its_delay()
    {
        await using ProxiedPair pair = await StartPairAsync(new SlowCloseToxic { Delay = TimeSpan.FromMilliseconds(400) });
        (Socket client, Socket server) = (pair.Client, pair.Server);

        await server.SendAsync("bye"u8.ToArray());
        Assert.Equal("bye"u8.ToArray(), await client.ReceiveExactlyAsync(3)); // the data is not held
        var clock = Stopwatch.StartNew();
        server.Shutdown(SocketShutdown.Send);
        Assert.Empty(await client.ReceiveToEndAsync());

        Assert.InRange(clock.Elapsed.TotalMilliseconds, 400 - 1, 20_000);
    }

    [Fact]
    public async Task Timeout_black_holes_the_data_then_closes_the_connection()
    {
        var clock = Stopwatch.StartNew(); // the toxic's time runs from when it meets the connection
        await using ProxiedPair pair = await StartPairAsync(new TimeoutToxic { Timeout = TimeSpan.FromMilliseconds(400), Stream = ToxicStream.Upstream });
        (Socket client, Socket server, TcpProxy proxy) = (pair.Client, pair.Server, pair.Proxy);

        await client.SendAsync("hello?"u8.ToArray());
        (byte[] reachedUpstream, SocketError _) = await ProxyHarness.ReceiveUntilClosedAsync(server);
        (byte[] backToClient, SocketError clientEnd) = await ProxyHarness.ReceiveUntilClosedAsync(client);

        Assert.Empty(reachedUpstream);
        Assert.Empty(backToClient);
        Assert.Equal(SocketError.Success, clientEnd); // closed, not reset
        Assert.InRange(clock.Elapsed.TotalMilliseconds, 400 - 1, 20_000);
        await ProxyHarness.Eventually(() => proxy.GetStats().ClosedBy(ProxyCloseCause.ToxicTimeout) == 1, "the toxic's close was counted");
    }

    [Fact]
    public async Task Timeout_zero_black_holes_for_as_long_as_it_is_on()
    {
        await using ProxiedPair pair = await StartPairAsync(new TimeoutToxic { Stream = ToxicStream.Upstream });
        (Socket client, Socket server, TcpProxy proxy) = (pair.Client, pair.Server, pair.Proxy);

        await client.SendAsync("lost"u8.ToArray());
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => server.ReceiveExactlyAsync(1, timeoutMs: 500));

        await proxy.RemoveToxicAsync("timeout_upstream");
        await client.SendAsync("found"u8.ToArray());
        Assert.Equal("found"u8.ToArray(), await server.ReceiveExactlyAsync(5)); // what it dropped stays dropped
    }

    [Fact]
    public async Task Reset_peer_resets_both_sides_after_its_timeout()
    {
        await using ProxiedPair pair = await StartPairAsync(new ResetPeerToxic { Timeout = TimeSpan.FromMilliseconds(100), Stream = ToxicStream.Upstream });
        (Socket client, Socket server, TcpProxy proxy) = (pair.Client, pair.Server, pair.Proxy);

        await client.SendAsync("request"u8.ToArray());
        (byte[] toClient, SocketError clientEnd) = await ProxyHarness.ReceiveUntilClosedAsync(client);
        (byte[] toServer, SocketError serverEnd) = await ProxyHarness.ReceiveUntilClosedAsync(server);

        Assert.Empty(toClient);
        Assert.Empty(toServer);
        Assert.Equal(SocketError.ConnectionReset, clientEnd);
        Assert.Equal(SocketError.ConnectionReset, serverEnd);
        Assert.Equal(1, proxy.GetStats().ClosedBy(ProxyCloseCause.ToxicResetPeer));
    }

    [Fact]
    public async Task Slicer_splits_data_into_small_separate_writes()
    {
        await using ProxiedPair pair = await StartPairAsync(new SlicerToxic { AverageSize = 100, SizeVariation = 50, Delay = TimeSpan.FromMilliseconds(1) });
        (Socket client, Socket server, TcpProxy proxy) = (pair.Client, pair.Server, pair.Proxy);
        byte[] data = ProxyHarness.RandomBytes(20_000, 4);
        long writesBefore = proxy.GetPollerStats().Sum(p => p.WriteCalls);

        long sentAt = Stopwatch.GetTimestamp();
        await server.SendAsync(data);
        var received = new MemoryStream();
        var buffer = new byte[64 * 1024];
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (received.Length < data.Length)
        {
            int n = await client.ReceiveAsync(buffer, SocketFlags.None, cts.Token);
            Assert.NotEqual(0, n);
            received.Write(buffer, 0, n);
        }

        TimeSpan took = Stopwatch.GetElapsedTime(sentAt);
        Assert.Equal(data, received.ToArray());
        long writes = proxy.GetPollerStats().Sum(p => p.WriteCalls) - writesBefore;
        // 20 000 bytes in slices of 50..150 bytes: at least 134 writes to the client's socket, 1 ms apart. How many reads the
        // client needs is the scheduler's to say (a client that wakes late reads them all at once); the spacing is not.
        int leastSlices = 20_000 / 150;
        Assert.True(writes >= leastSlices, $"the proxy wrote the client {writes} times; slices of at most 150 bytes need at least {leastSlices}");
        Assert.True(took >= TimeSpan.FromMilliseconds(leastSlices - 1), $"the 20 000 bytes arrived in {took.TotalMilliseconds:F0} ms; {leastSlices} slices 1 ms apart take at least {leastSlices - 1} ms");
    }

    [Fact]
    public async Task Limit_data_lets_its_bytes_through_then_closes_both_sides()
    {
        await using ProxiedPair pair = await StartPairAsync(new LimitDataToxic { Bytes = 1000 });
        (Socket client, Socket server, TcpProxy proxy) = (pair.Client, pair.Server, pair.Proxy);
        byte[] data = ProxyHarness.RandomBytes(5000, 5);

        await server.SendAsync(data);
        (byte[] received, SocketError end) = await ProxyHarness.ReceiveUntilClosedAsync(client);
        (byte[] _, SocketError _) = await ProxyHarness.ReceiveUntilClosedAsync(server); // the upstream is closed too

        Assert.Equal(data.AsSpan(0, 1000).ToArray(), received);
        Assert.Equal(SocketError.Success, end);
        Assert.Equal(1, proxy.GetStats().ClosedBy(ProxyCloseCause.ToxicLimitData));
    }

    [Fact]
    public async Task Down_refuses_new_connections_resets_open_ones_and_up_again_serves_on_the_same_port()
    {
        await using TestServer echo = TestServer.Start(new EchoHandler());
        await using TcpProxy proxy = StartProxy(echo.EndPoint);
        using Socket open = await ProxyHarness.ConnectAsync(proxy.EndPoint);
        await ProxyHarness.RoundTripAsync(open, 10);

        await proxy.AddToxicAsync(new DownToxic());

        Assert.Equal(ProxyState.Down, proxy.State);
        (byte[] _, SocketError end) = await ProxyHarness.ReceiveUntilClosedAsync(open);
        Assert.Equal(SocketError.ConnectionReset, end);
        SocketException refused = await Assert.ThrowsAsync<SocketException>(() => ProxyHarness.ConnectAsync(proxy.EndPoint));
        Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);
        Assert.Equal(1, proxy.GetStats().ClosedBy(ProxyCloseCause.Down));

        Assert.True(await proxy.RemoveToxicAsync("down"));

        Assert.Equal(ProxyState.Running, proxy.State);
        using Socket again = await ProxyHarness.ConnectAsync(proxy.EndPoint);
        await ProxyHarness.RoundTripAsync(again, 10);
    }
}
