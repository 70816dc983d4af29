using System.Diagnostics.Metrics;
using System.Net.Sockets;
using Netpoll.Diagnostics;
using Netpoll.Polling;
using Netpoll.Server;
using Netpoll.Tests.Support;

namespace Netpoll.Tests.Reactor;

public class MetricsTests
{
    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task The_Netpoll_meter_reports_what_the_server_did_with_conventional_names_and_units(PollerBackendKind backend)
    {
        string name = $"metrics-{Guid.NewGuid():N}";
        await using var server = TestServer.Start(new EchoHandler(), new EventLoopOptions { Backend = backend, Name = name, Pollers = 1 });
        using (Socket client = await server.ConnectSocketAsync())
        {
            await client.SendAsync(new byte[1000]);
            await client.ReceiveExactlyAsync(1000);
            await TestServer.Eventually(() => server.Loop.GetStats().Single().BytesOut == 1000, "the echo is counted");
        }

        var seen = new Dictionary<string, (string? Unit, double Value)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == NetpollDiagnostics.MeterName)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            string? owner = null;
            string? direction = null;
            string? state = null;
            foreach (var tag in tags)
            {
                if (tag.Key == "netpoll.owner.name") owner = tag.Value as string;
                if (tag.Key == "network.io.direction") direction = tag.Value as string;
                if (tag.Key == "netpoll.poller.state") state = tag.Value as string;
            }

            if (owner == name)
            {
                string? attribute = direction ?? state;
                string key = attribute is null ? instrument.Name : $"{instrument.Name}/{attribute}";
                seen[key] = (instrument.Unit, value);
            }
        }

        listener.SetMeasurementEventCallback<long>((i, v, t, _) => Record(i, v, t));
        listener.SetMeasurementEventCallback<double>((i, v, t, _) => Record(i, v, t));
        listener.Start();
        await TestServer.Eventually(() => server.Loop.ConnectionCount == 0, "the client's close is seen");
        listener.RecordObservableInstruments();

        Assert.Equal(("By", 1000.0), seen["netpoll.io/receive"]);
        Assert.Equal(("By", 1000.0), seen["netpoll.io/transmit"]);
        Assert.Equal(("{connection}", 1.0), seen["netpoll.connection.accepted"]);
        Assert.Equal(("{connection}", 1.0), seen["netpoll.connection.closed"]);
        Assert.Equal(("{connection}", 0.0), seen["netpoll.connection.active"]);
        Assert.Equal("s", seen["netpoll.poller.time/wait"].Unit);
        Assert.True(seen["netpoll.poller.time/busy"].Value > 0);
        Assert.True(seen["netpoll.poller.waits"].Value > 0);
    }
    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task Every_declared_counter_is_in_the_snapshot_and_measured_once_per_poller(PollerBackendKind backend)
    {
        string name = $"declared-{Guid.NewGuid():N}";
        await using var server = TestServer.Start(new EchoHandler(), new EventLoopOptions { Backend = backend, Name = name, Pollers = 2 });
        PollerStats stats = server.Loop.GetStats()[0];
        Assert.All(Enum.GetValues<PollerCounter>(), c => Assert.True(stats[c] >= 0, $"{c} is in the snapshot"));

        var measured = new List<(string Instrument, string? Attribute)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == NetpollDiagnostics.MeterName)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        void Record(Instrument instrument, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            string? owner = null;
            string? attribute = null;
            foreach (var tag in tags)
            {
                if (tag.Key == "netpoll.owner.name") owner = tag.Value as string;
                else if (tag.Key != "netpoll.poller.id") attribute = $"{tag.Key}={tag.Value}";
            }

            if (owner == name)
            {
                measured.Add((instrument.Name, attribute));
            }
        }

        listener.SetMeasurementEventCallback<long>((i, _, t, _) => Record(i, t));
        listener.SetMeasurementEventCallback<double>((i, _, t, _) => Record(i, t));
        listener.Start();
        listener.RecordObservableInstruments();

        // One measurement per counter and poller, under the instrument and attribute it declares.
        var expected = InstrumentAttribute.All
            .SelectMany(c => Enumerable.Repeat((c.Instrument.Name, c.Instrument.Attribute is null ? null : $"{c.Instrument.Attribute}={c.Instrument.Value}"), 2))
            .Order().ToList();
        Assert.Equal(expected, measured.Order().ToList());
    }
}
