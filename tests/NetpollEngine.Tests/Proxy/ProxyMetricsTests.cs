using System.Diagnostics.Metrics;
using System.Net.Sockets;
using Netpoll.Diagnostics;
using Netpoll.Polling;
using Netpoll.Proxy;
using Netpoll.Tests.Support;

namespace Netpoll.Tests.Proxy;

/// <summary>What a proxy shows on the Netpoll meter: one owner, its name, counting both sides of every pair.</summary>
public class ProxyMetricsTests
{
    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task A_proxy_is_one_owner_on_the_meter_and_its_upstream_connections_count_under_its_name(PollerBackendKind backend)
    {
        // Upstreams are dialed onto their client's poller, so the upstream dialer's own poller never serves one: an owner
        // of its own on the meter would show "0 connections" for the upstream side while its connections are open.
        string name = $"metered-{Guid.NewGuid():N}";
        await using TestServer echo = TestServer.Start(new EchoHandler(), BackendMatrix.Server(backend));
        await using TcpProxy proxy = ProxyHarness.Start(echo.EndPoint, o => o with { Name = name, Backend = backend, Pollers = 1 });
        using Socket client = await ProxyHarness.ConnectAsync(proxy.EndPoint);
        await client.SendAsync(new byte[100]);
        await client.ReceiveExactlyAsync(100);

        var owners = new HashSet<string>();
        double active = -1;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == NetpollDiagnostics.MeterName)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "netpoll.owner.name" && tag.Value is string owner && owner.StartsWith(name, StringComparison.Ordinal))
                {
                    owners.Add(owner);
                    if (owner == name && instrument.Name == "netpoll.connection.active")
                    {
                        active = value;
                    }
                }
            }
        });
        listener.Start();
        listener.RecordObservableInstruments();

        Assert.Equal([name], owners);
        Assert.Equal(2, active); // the client's connection and its upstream, on the proxy's one poller
    }
}
