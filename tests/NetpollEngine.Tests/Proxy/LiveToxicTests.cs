using System.Net.Sockets;
using Netpoll.Proxy;
using Netpoll.Tests.Support;

namespace Netpoll.Tests.Proxy;

/// <summary>Toxics change on a running proxy, and reach the connections already open.</summary>
public class LiveToxicTests : ProxyTestBase
{
    [Fact]
    public async Task A_toxic_added_updated_and_removed_on_a_live_proxy_acts_on_an_open_connection()
    {
        await using TestServer echo = TestServer.Start(new EchoHandler());
        await using TcpProxy proxy = StartProxy(echo.EndPoint);
        using Socket client = await ProxyHarness.ConnectAsync(proxy.EndPoint);
        await ProxyHarness.RoundTripAsync(client, 10);

        await proxy.AddToxicAsync(new LatencyToxic { Name = "slow", Latency = TimeSpan.FromMilliseconds(300) });
        Assert.InRange((await ProxyHarness.RoundTripAsync(client, 10)).TotalMilliseconds, 300 - 1, 20_000);

        await proxy.UpdateToxicAsync(new LatencyToxic { Name = "slow", Latency = TimeSpan.FromMilliseconds(600) });
        Assert.InRange((await ProxyHarness.RoundTripAsync(client, 10)).TotalMilliseconds, 600 - 1, 20_000);

        // Removing it releases what it holds: a reply the proxy holds for an hour arrives within the receive's generous
        // liveness bound (30 s), which only the release can meet (not a speed bound: the hold is 120 times longer).
        await proxy.UpdateToxicAsync(new LatencyToxic { Name = "slow", Latency = TimeSpan.FromHours(1) });
        long downBefore = proxy.GetStats().BytesDownstream;
        await client.SendAsync(new byte[10]);
        await ProxyHarness.Eventually(() => proxy.GetStats().BytesDownstream >= downBefore + 10, "the proxy read the reply it now holds");
        Assert.True(await proxy.RemoveToxicAsync("slow"));
        await client.ReceiveExactlyAsync(10, timeoutMs: 30_000);
        Assert.Empty(proxy.Toxics);
    }

    [Fact]
    public async Task Changing_toxics_is_checked_and_says_what_is_wrong()
    {
        using var upstream = new RawUpstream();
        await using TcpProxy proxy = StartProxy(upstream.EndPoint);
        await proxy.AddToxicAsync(new LatencyToxic { Latency = TimeSpan.FromMilliseconds(10) });

        ArgumentException duplicate = await Assert.ThrowsAsync<ArgumentException>(() => proxy.AddToxicAsync(new LatencyToxic()));
        Assert.Contains("latency_downstream", duplicate.Message);
        ArgumentException missing = await Assert.ThrowsAsync<ArgumentException>(() => proxy.UpdateToxicAsync(new LatencyToxic { Name = "nope" }));
        Assert.Contains("latency_downstream (latency)", missing.Message);
        ArgumentException retyped = await Assert.ThrowsAsync<ArgumentException>(() => proxy.UpdateToxicAsync(new BandwidthToxic { Name = "latency_downstream", Rate = 1 }));
        Assert.Contains("cannot become bandwidth", retyped.Message);
        Assert.False(await proxy.RemoveToxicAsync("nope"));
        Assert.Single(proxy.Toxics);
    }

    public static TheoryData<Toxic, string> Malformed => new()
    {
        { new LatencyToxic { Toxicity = 1.5 }, "Toxicity must be between 0 and 1" },
        { new LatencyToxic { Toxicity = double.NaN }, "Toxicity must be between 0 and 1" },
        { new LatencyToxic { Latency = TimeSpan.FromMilliseconds(-1) }, "Latency must be between 0" },
        { new BandwidthToxic { Rate = 0 }, "Rate must be between 1" },
        { new SlicerToxic { AverageSize = 10, SizeVariation = 10 }, "SizeVariation must be between 0 and 9" },
        { new SlicerToxic { AverageSize = 0 }, "AverageSize must be between 1" },
        { new LimitDataToxic { Bytes = -1 }, "Bytes must be between 0" },
        { new TimeoutToxic { Timeout = TimeSpan.FromDays(30) }, "Timeout must be between 0 and 24 days" },
        { new LatencyToxic { Name = "two words" }, "letters, digits" },
        { new LatencyToxic { Stream = (ToxicStream)7 }, "Stream must be Upstream or Downstream" },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public async Task A_malformed_toxic_is_refused_with_what_is_allowed(Toxic toxic, string expected)
    {
        using var upstream = new RawUpstream();
        await using TcpProxy proxy = StartProxy(upstream.EndPoint);

        ArgumentException error = await Assert.ThrowsAsync<ArgumentException>(() => proxy.AddToxicAsync(toxic));

        Assert.Contains(expected, error.Message);
        Assert.Empty(proxy.Toxics);
    }
}
