using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Netpoll;

/// <summary>
/// The <c>Netpoll</c> meter. Every instrument is observable: values are read from the pollers'
/// counters only when a listener collects, so the hot path pays nothing. Names and units follow the
/// OpenTelemetry conventions; each measurement carries <c>netpoll.owner</c> (server or dialer name)
/// and <c>netpoll.poller.id</c>.
/// </summary>
public static class NetpollMetrics
{
    public const string MeterName = "Netpoll";

    private static readonly Meter Meter = new(MeterName, typeof(NetpollMetrics).Assembly.GetName().Version?.ToString());

    static NetpollMetrics()
    {
        Meter.CreateObservableUpDownCounter("netpoll.connection.active", () => Observe(c => c.Registered), "{connection}", "Connections registered on a poller.");
        Meter.CreateObservableCounter("netpoll.connection.accepted", () => Observe(c => c.Accepted), "{connection}", "Connections accepted.");
        Meter.CreateObservableCounter("netpoll.connection.closed", () => Observe(c => c.Closed), "{connection}", "Connections closed.");
        Meter.CreateObservableUpDownCounter("netpoll.connection.paused", () => Observe(c => c.Paused), "{connection}", "Connections whose reading is paused by backpressure.");
        Meter.CreateObservableCounter("netpoll.io", ObserveIo, "By", "Bytes moved through sockets, by network.io.direction.");
        Meter.CreateObservableCounter("netpoll.io.syscalls", ObserveSyscalls, "{syscall}", "read and sendmsg calls, by network.io.direction.");
        Meter.CreateObservableUpDownCounter("netpoll.buffer.usage", () => Observe(c => c.BufferBytes), "By", "Input bytes buffered and not yet read by handlers.");
        Meter.CreateObservableCounter("netpoll.poller.waits", () => Observe(c => c.Waits), "{wait}", "epoll_wait/kevent calls.");
        Meter.CreateObservableCounter("netpoll.poller.events", () => Observe(c => c.Events), "{event}", "Readiness events handled.");
        Meter.CreateObservableCounter("netpoll.poller.wakeups", () => Observe(c => c.Wakeups), "{wakeup}", "Waits interrupted by another thread.");
        Meter.CreateObservableCounter("netpoll.poller.busy.time", () => ObserveSeconds(c => c.BusyTicks), "s", "Time pollers spent working.");
        Meter.CreateObservableCounter("netpoll.poller.wait.time", () => ObserveSeconds(c => c.WaitTicks), "s", "Time pollers spent waiting for events.");
        Meter.CreateObservableCounter("netpoll.flush.waited", () => Observe(c => c.WaitedFlushes), "{flush}", "Flushes that had to wait for the socket to drain.");
        Meter.CreateObservableCounter("netpoll.accept.backoffs", () => Observe(c => c.AcceptBackoffs), "{backoff}", "Times accept paused because fds ran out.");
        Meter.CreateObservableCounter("netpoll.timeouts", () => Observe(c => c.Timeouts), "{timeout}", "Idle, read and write deadlines that fired.");
    }

    /// <summary>Creates the meter and its instruments if they do not exist yet (the first server does this).</summary>
    internal static void EnsureCreated() => _ = Meter.Name;

    private static IEnumerable<Measurement<long>> Observe(Func<PollerCounters, long> read)
    {
        foreach ((string owner, Poller poller) in PollGroupRegistry.Pollers)
        {
            yield return new Measurement<long>(read(poller.Counters), Tags(owner, poller));
        }
    }

    private static IEnumerable<Measurement<double>> ObserveSeconds(Func<PollerCounters, long> ticks)
    {
        foreach ((string owner, Poller poller) in PollGroupRegistry.Pollers)
        {
            yield return new Measurement<double>(ticks(poller.Counters) / (double)Stopwatch.Frequency, Tags(owner, poller));
        }
    }

    private static IEnumerable<Measurement<long>> ObserveIo()
    {
        foreach ((string owner, Poller poller) in PollGroupRegistry.Pollers)
        {
            yield return new Measurement<long>(Volatile.Read(ref poller.Counters.BytesIn), Tags(owner, poller, "receive"));
            yield return new Measurement<long>(Volatile.Read(ref poller.Counters.BytesOut), Tags(owner, poller, "transmit"));
        }
    }

    private static IEnumerable<Measurement<long>> ObserveSyscalls()
    {
        foreach ((string owner, Poller poller) in PollGroupRegistry.Pollers)
        {
            yield return new Measurement<long>(Volatile.Read(ref poller.Counters.ReadCalls), Tags(owner, poller, "receive"));
            yield return new Measurement<long>(Volatile.Read(ref poller.Counters.WriteCalls), Tags(owner, poller, "transmit"));
        }
    }

    private static TagList Tags(string owner, Poller poller, string? direction = null)
    {
        var tags = new TagList { { "netpoll.owner", owner }, { "netpoll.poller.id", poller.Id } };
        if (direction is not null)
        {
            tags.Add("network.io.direction", direction);
        }

        return tags;
    }
}
