using System.Net.Sockets;
using Netpoll.Proxy;
using Netpoll.Tests.Support;

namespace Netpoll.Tests.Proxy;

/// <summary>Toxicity is the share of connections a toxic applies to, rolled per connection.</summary>
public class ToxicityTests
{
    [Theory]
    [InlineData(0.0)]
    [InlineData(1.0)]
    public async Task Toxicity_zero_spares_every_connection_and_one_hits_every_connection(double toxicity)
    {
        (int hit, TcpProxyStats stats) = await CountHitsAsync(toxicity, connections: 30);

        Assert.Equal(toxicity == 0 ? 0 : 30, hit);
        Assert.Equal(hit, stats.ToxicsApplied.GetValueOrDefault("limit_downstream"));
    }

    [Fact]
    public async Task Toxicity_one_half_hits_about_half_the_connections()
    {
        const int Connections = 300;
        (int hit, TcpProxyStats stats) = await CountHitsAsync(0.5, Connections);

        // Binomial(300, 0.5): mean 150, standard deviation 8.7; ±50 is beyond 5.7 deviations.
        Assert.InRange(hit, 100, 200);
        Assert.Equal(hit, stats.ToxicsApplied["limit_downstream"]);
    }

    /// <summary>A one-byte limit on the way back: a hit connection gets 1 of its 4 echoed bytes, a spared one all 4.</summary>
    private static async Task<(int Hit, TcpProxyStats Stats)> CountHitsAsync(double toxicity, int connections)
    {
        await using TestServer echo = TestServer.Start(new EchoHandler());
        await using TcpProxy proxy = ProxyHarness.Start(echo.EndPoint);
        await proxy.AddToxicAsync(new LimitDataToxic { Name = "limit_downstream", Bytes = 1, Toxicity = toxicity });
        int hit = 0;
        using var concurrency = new SemaphoreSlim(50);
        await Task.WhenAll(Enumerable.Range(0, connections).Select(async _ =>
        {
            await concurrency.WaitAsync();
            try
            {
                using Socket client = await ProxyHarness.ConnectAsync(proxy.EndPoint);
                await client.SendAsync("ping"u8.ToArray());
                client.Shutdown(SocketShutdown.Send); // a spared connection then ends once the echo came back
                (byte[] back, SocketError _) = await ProxyHarness.ReceiveUntilClosedAsync(client, timeoutMs: 20_000);
                if (back.Length == 1)
                {
                    Interlocked.Increment(ref hit);
                }
                else
                {
                    Assert.Equal("ping"u8.ToArray(), back);
                }
            }
            finally
            {
                concurrency.Release();
            }
        })).WaitAsync(TimeSpan.FromMinutes(2));

        return (hit, proxy.GetStats());
    }
}
