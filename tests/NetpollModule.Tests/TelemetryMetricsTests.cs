using System.Collections;
using System.Management.Automation;
using System.Net.Sockets;

namespace Netpoll.PowerShell.Tests;

/// <summary>
/// The Netpoll meter as an OpenTelemetry SDK sees it: read with the SDK's in-memory exporter (the
/// test-only MeterProbe module), every instrument has its conventional name, unit and type, and its
/// values are what the server did.
/// </summary>
public class TelemetryMetricsTests
{
    /// <summary>Name → (unit, OpenTelemetry metric type). UpDownCounters are the NonMonotonic sums.</summary>
    private static readonly Dictionary<string, (string Unit, string Type)> Conventions = new()
    {
        ["netpoll.connection.active"] = ("{connection}", "LongSumNonMonotonic"),
        ["netpoll.connection.accepted"] = ("{connection}", "LongSum"),
        ["netpoll.connection.closed"] = ("{connection}", "LongSum"),
        ["netpoll.connection.paused"] = ("{connection}", "LongSumNonMonotonic"),
        ["netpoll.connection.shed"] = ("{connection}", "LongSum"),
        ["netpoll.connection.rejected"] = ("{connection}", "LongSum"),
        ["netpoll.io"] = ("By", "LongSum"),
        ["netpoll.syscalls"] = ("{syscall}", "LongSum"),
        ["netpoll.buffer.used"] = ("By", "LongSumNonMonotonic"),
        ["netpoll.poller.waits"] = ("{wait}", "LongSum"),
        ["netpoll.poller.events"] = ("{event}", "LongSum"),
        ["netpoll.poller.wakeups"] = ("{wakeup}", "LongSum"),
        ["netpoll.poller.time"] = ("s", "DoubleSum"),
        ["netpoll.flush.waited"] = ("{flush}", "LongSum"),
        ["netpoll.accept.backoffs"] = ("{backoff}", "LongSum"),
        ["netpoll.timeouts"] = ("{timeout}", "LongSum"),
        ["netpoll.receive_ring.used"] = ("By", "LongSumNonMonotonic"),
        ["netpoll.receive_ring.exhausted"] = ("{receive}", "LongSum"),
        ["netpoll.tls.handshakes"] = ("{handshake}", "LongSum"),
        ["netpoll.tls.handshake.failures"] = ("{handshake}", "LongSum"),
    };

    [Fact]
    public void An_in_memory_OpenTelemetry_reader_sees_every_instrument_with_conventional_names_units_and_the_servers_values()
    {
        using var ps = new PowerShellSession();
        ps.Run($"Import-Module '{TelemetryTestArtifacts.MeterProbeModule}' -ErrorAction Stop");
        // Epoll: its receives are read() calls the syscall counter sees; on io_uring they are ring completions.
        NetpollServer server = ps.Single<NetpollServer>("Start-NetpollServer -Name metered -Pollers 1 -Backend Epoll");
        using (var client = new TcpClient())
        {
            client.Connect("127.0.0.1", server.Port);
            NetworkStream stream = client.GetStream();
            stream.Write(new byte[1000]);
            byte[] echoed = new byte[1000];
            stream.ReadTimeout = 10_000;
            stream.ReadExactly(echoed);
        }

        Eventually.Until(() => server.Loop.GetStats().Single().Closed == 1, "the server saw the client close");
        var points = ps.Run("Measure-NetpollMeter").Select(Point.From).Where(p => Equals(p.Attributes["netpoll.owner.name"], "metered")).ToList();
        Assert.Empty(ps.Errors);

        Assert.Equal(Conventions.Keys.Order(), points.Select(p => p.Name).Distinct().Order());
        foreach (Point point in points)
        {
            Assert.Equal(Conventions[point.Name], (point.Unit, point.Type));
            Assert.Equal(0, Convert.ToInt32(point.Attributes["netpoll.poller.id"], System.Globalization.CultureInfo.InvariantCulture));
        }

        Assert.Equal(1000, Single(points, "netpoll.io", "network.io.direction", "receive"));
        Assert.Equal(1000, Single(points, "netpoll.io", "network.io.direction", "transmit"));
        Assert.Equal(1, Single(points, "netpoll.connection.accepted"));
        Assert.Equal(1, Single(points, "netpoll.connection.closed"));
        Assert.Equal(0, Single(points, "netpoll.connection.active"));
        Assert.Equal(0, Single(points, "netpoll.buffer.used"));
        Assert.Equal(0, Single(points, "netpoll.timeouts"));
        Assert.True(Single(points, "netpoll.syscalls", "network.io.direction", "receive") >= 1);
        Assert.True(Single(points, "netpoll.poller.time", "netpoll.poller.state", "busy") > 0);
        Assert.True(Single(points, "netpoll.poller.time", "netpoll.poller.state", "wait") > 0);

        // The same counters Get-NetpollStats shows.
        PSObject stats = Assert.Single(ps.Run("Get-NetpollStats -Name metered"));
        Assert.Equal(Convert.ToDouble(stats.Properties["Events"].Value, System.Globalization.CultureInfo.InvariantCulture), Single(points, "netpoll.poller.events"), 0);
    }

    private static double Single(List<Point> points, string name, string? attribute = null, string? value = null) =>
        Assert.Single(points, p => p.Name == name && (attribute is null || Equals(p.Attributes[attribute], value))).Value;

    private sealed record Point(string Name, string Unit, string Type, Hashtable Attributes, double Value)
    {
        public static Point From(PSObject o) => new(
            (string)o.Properties["Name"].Value,
            (string)o.Properties["Unit"].Value,
            (string)o.Properties["Type"].Value,
            (Hashtable)o.Properties["Attributes"].Value,
            (double)o.Properties["Value"].Value);
    }
}
