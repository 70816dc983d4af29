using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Netpoll;

/// <summary>
/// The <c>Netpoll</c> meter. Every instrument is observable: values are read from the pollers'
/// counters only when a listener collects, so the hot path pays nothing. Names, units and attributes
/// follow the OpenTelemetry semantic-convention naming rules (UpDownCounters not pluralized, counts of
/// things pluralized with a <c>{curly}</c> unit, <c>*.io</c> with <c>network.io.direction</c>, <c>*.time</c>
/// with a state attribute, <c>*.used</c> for an amount with no known limit); each measurement carries
/// <c>netpoll.owner.name</c> (server or dialer name) and <c>netpoll.poller.id</c>.
/// </summary>
public static class NetpollMetrics
{
    public const string MeterName = "Netpoll";

    private const string Direction = "network.io.direction";

    private static readonly Meter Meter = new(MeterName, typeof(NetpollMetrics).Assembly.GetName().Version?.ToString());

    static NetpollMetrics()
    {
        Meter.CreateObservableUpDownCounter("netpoll.connection.active", () => Observe(p => Volatile.Read(ref p.Counters.Registered)), "{connection}", "Connections registered on a poller.");
        Meter.CreateObservableCounter("netpoll.connection.accepted", () => Observe(p => Volatile.Read(ref p.Counters.Accepted)), "{connection}", "Connections accepted.");
        Meter.CreateObservableCounter("netpoll.connection.closed", () => Observe(p => Volatile.Read(ref p.Counters.Closed)), "{connection}", "Connections closed.");
        Meter.CreateObservableUpDownCounter("netpoll.connection.paused", () => Observe(p => Volatile.Read(ref p.Counters.Paused)), "{connection}", "Connections whose reading is paused by backpressure.");
        Meter.CreateObservableCounter("netpoll.io", ObserveIo, "By", "Bytes moved through sockets, by network.io.direction.");
        Meter.CreateObservableCounter("netpoll.syscalls", ObserveSyscalls, "{syscall}", "read and sendmsg calls, by network.io.direction.");
        Meter.CreateObservableUpDownCounter("netpoll.buffer.used", () => Observe(p => p.BufferedInputBytes()), "By", "Input bytes buffered and not yet read by handlers.");
        Meter.CreateObservableCounter("netpoll.poller.waits", () => Observe(p => Volatile.Read(ref p.Counters.Waits)), "{wait}", "epoll_wait/kevent calls.");
        Meter.CreateObservableCounter("netpoll.poller.events", () => Observe(p => Volatile.Read(ref p.Counters.Events)), "{event}", "Readiness events handled.");
        Meter.CreateObservableCounter("netpoll.poller.wakeups", () => Observe(p => Volatile.Read(ref p.Counters.Wakeups)), "{wakeup}", "Waits interrupted by another thread.");
        Meter.CreateObservableCounter("netpoll.poller.time", ObservePollerTime, "s", "Time poller threads spent working (netpoll.poller.state busy) and waiting for events (wait).");
        Meter.CreateObservableCounter("netpoll.flush.waited", () => Observe(p => Volatile.Read(ref p.Counters.WaitedFlushes)), "{flush}", "Flushes that had to wait for the socket to drain.");
        Meter.CreateObservableCounter("netpoll.accept.backoffs", () => Observe(p => Volatile.Read(ref p.Counters.AcceptBackoffs)), "{backoff}", "Times accept paused because fds ran out.");
        Meter.CreateObservableCounter("netpoll.timeouts", () => Observe(p => Volatile.Read(ref p.Counters.Timeouts)), "{timeout}", "Idle, read and write deadlines that fired.");
    }

    /// <summary>Creates the meter and its instruments if they do not exist yet (the first server does this).</summary>
    internal static void EnsureCreated() => _ = Meter.Name;

    private static IEnumerable<Measurement<long>> Observe(Func<Poller, long> read)
    {
        foreach ((string owner, Poller poller) in PollGroupRegistry.Pollers)
        {
            yield return new Measurement<long>(read(poller), Tags(owner, poller));
        }
    }

    /// <summary>The same busy and wait times as <see cref="PollerStats"/> (a wait in progress counts).</summary>
    private static IEnumerable<Measurement<double>> ObservePollerTime()
    {
        foreach ((string owner, Poller poller) in PollGroupRegistry.Pollers)
        {
            PollerStats stats = poller.Snapshot();
            yield return new Measurement<double>(stats.BusyTime.TotalSeconds, Tags(owner, poller, "netpoll.poller.state", "busy"));
            yield return new Measurement<double>(stats.WaitTime.TotalSeconds, Tags(owner, poller, "netpoll.poller.state", "wait"));
        }
    }

    private static IEnumerable<Measurement<long>> ObserveIo()
    {
        foreach ((string owner, Poller poller) in PollGroupRegistry.Pollers)
        {
            yield return new Measurement<long>(Volatile.Read(ref poller.Counters.BytesIn), Tags(owner, poller, Direction, "receive"));
            yield return new Measurement<long>(Volatile.Read(ref poller.Counters.BytesOut), Tags(owner, poller, Direction, "transmit"));
        }
    }

    private static IEnumerable<Measurement<long>> ObserveSyscalls()
    {
        foreach ((string owner, Poller poller) in PollGroupRegistry.Pollers)
        {
            yield return new Measurement<long>(Volatile.Read(ref poller.Counters.ReadCalls), Tags(owner, poller, Direction, "receive"));
            yield return new Measurement<long>(Volatile.Read(ref poller.Counters.WriteCalls), Tags(owner, poller, Direction, "transmit"));
        }
    }

    private static TagList Tags(string owner, Poller poller, string? key = null, string? value = null)
    {
        var tags = new TagList { { "netpoll.owner.name", owner }, { "netpoll.poller.id", poller.Id } };
        if (key is not null)
        {
            tags.Add(key, value);
        }

        return tags;
    }
}
