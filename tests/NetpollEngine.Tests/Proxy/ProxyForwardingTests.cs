using System.Net.Sockets;
using Netpoll.Polling;
using Netpoll.Proxy;
using Netpoll.Tests.Support;

namespace Netpoll.Tests.Proxy;

public class ProxyForwardingTests : ProxyTestBase
{
    [Fact]
    public async Task Random_payloads_from_one_byte_to_one_MiB_come_back_whole_through_the_proxy_on_hundreds_of_connections()
    {
        await using TestServer echo = TestServer.Start(new EchoHandler());
        await using TcpProxy proxy = StartProxy(echo.EndPoint);
        const int Connections = 200;
        var random = new Random(16);
        // Log-uniform sizes: as many tiny payloads as large ones, and both ends of the range for sure.
        int[] sizes = [1, 1 << 20, .. Enumerable.Range(0, Connections - 2).Select(_ => (int)Math.Exp(random.NextDouble() * Math.Log(1 << 20)))];
        using var concurrency = new SemaphoreSlim(50);

        await Task.WhenAll(sizes.Select(async (size, i) =>
        {
            await concurrency.WaitAsync();
            try
            {
                byte[] payload = ProxyHarness.RandomBytes(size, i);
                using Socket client = await ProxyHarness.ConnectAsync(proxy.EndPoint);
                Task<byte[]> echoed = client.ReceiveToEndAsync(60_000);
                await client.SendAsync(payload);
                client.Shutdown(SocketShutdown.Send); // the FIN goes through; the echo server answers, then closes
                byte[] back = await echoed;
                Assert.True(payload.AsSpan().SequenceEqual(back), $"connection {i}: sent {size} bytes, got {back.Length} back, not the same");
            }
            finally
            {
                concurrency.Release();
            }
        })).WaitAsync(TimeSpan.FromMinutes(3));

        long total = sizes.Sum(s => (long)s);
        await ProxyHarness.Eventually(() => proxy.GetStats().ClosedBy(ProxyCloseCause.Completed) == Connections, "every pair ended as completed");
        TcpProxyStats stats = proxy.GetStats();
        Assert.Equal(Connections, stats.Accepted);
        Assert.Equal(0, stats.Active);
        Assert.Equal(total, stats.BytesUpstream);
        Assert.Equal(total, stats.BytesDownstream);
        Assert.Equal(Connections, proxy.GetPollerStats().Sum(p => p.Accepted));
        Assert.True(proxy.GetPollerStats().Sum(p => p.BytesIn) >= 2 * total, "the pollers count what both sides read (each upstream runs on its client's poller)");
    }

    [Fact]
    public async Task A_client_FIN_reaches_the_upstream_and_the_upstream_can_still_answer_after_it()
    {
        await using ProxiedPair pair = await StartPairAsync();
        (Socket client, Socket server, TcpProxy proxy) = (pair.Client, pair.Server, pair.Proxy);

        await client.SendAsync("request"u8.ToArray());
        client.Shutdown(SocketShutdown.Send);
        byte[] request = await server.ReceiveToEndAsync(); // ends: the client's FIN came through
        Assert.Equal("request"u8.ToArray(), request);

        await Task.Delay(100); // the other way stays open while the upstream takes its time
        await server.SendAsync("response"u8.ToArray());
        server.Shutdown(SocketShutdown.Send);
        Assert.Equal("response"u8.ToArray(), await client.ReceiveToEndAsync());
        await ProxyHarness.Eventually(() => proxy.GetStats().ClosedBy(ProxyCloseCause.Completed) == 1, "the pair ended as completed");
    }

    [Fact]
    public async Task An_upstream_FIN_reaches_the_client_and_the_client_can_still_send_after_it()
    {
        await using ProxiedPair pair = await StartPairAsync();
        (Socket client, Socket server, TcpProxy proxy) = (pair.Client, pair.Server, pair.Proxy);

        await server.SendAsync("greeting"u8.ToArray());
        server.Shutdown(SocketShutdown.Send);
        Assert.Equal("greeting"u8.ToArray(), await client.ReceiveToEndAsync());

        byte[] late = ProxyHarness.RandomBytes(300_000, 1);
        await client.SendAsync(late);
        client.Shutdown(SocketShutdown.Send);
        Assert.Equal(late, await server.ReceiveToEndAsync());
        await ProxyHarness.Eventually(() => proxy.GetStats().ClosedBy(ProxyCloseCause.Completed) == 1, "the pair ended as completed");
    }

    [Fact]
    public async Task Stopping_the_proxy_closes_its_connections_and_frees_its_port()
    {
        using var upstream = new RawUpstream();
        TcpProxy proxy = StartProxy(upstream.EndPoint);
        using Socket client = await ProxyHarness.ConnectAsync(proxy.EndPoint);
        using Socket server = await upstream.AcceptAsync();

        await proxy.StopAsync(TimeSpan.FromSeconds(5)).WaitAsync(TimeSpan.FromSeconds(15));

        Assert.Equal(ProxyState.Stopped, proxy.State);
        Assert.Empty(await client.ReceiveToEndAsync());
        Assert.Empty(await server.ReceiveToEndAsync());
        Assert.Equal(1, proxy.GetStats().ClosedBy(ProxyCloseCause.Shutdown));
        using var rebound = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        rebound.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true); // its closed connections may linger in TIME_WAIT
        rebound.Bind(proxy.EndPoint); // the port is free again
    }
}
