using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Netpoll.Diagnostics;

/// <summary>
/// The <c>Netpoll</c> meter of one server or dialer. Every owner creates its own <see cref="Meter"/> named
/// <see cref="NetpollMetrics.MeterName"/> (as ASP.NET Core's IMeterFactory does per container) and disposes it when it
/// stops, so no process-global list of pollers exists; listeners subscribe by name and see every owner.
/// Every instrument is observable: values are read from the pollers' counters only when a listener
/// collects, so the hot path pays nothing. Names, units and attributes follow the OpenTelemetry
/// semantic-convention naming rules (UpDownCounters not pluralized, counts of things pluralized with a
/// <c>{curly}</c> unit, <c>*.io</c> with <c>network.io.direction</c>, <c>*.time</c> with a state attribute,
/// <c>*.used</c> for an amount with no known limit); each measurement carries <c>netpoll.owner.name</c>
/// (server or dialer name) and <c>netpoll.poller.id</c>.
/// </summary>
internal sealed class OwnerMeter : IDisposable
{
    private const string Direction = "network.io.direction";

    private readonly Meter _meter = new(NetpollMetrics.MeterName, typeof(OwnerMeter).Assembly.GetName().Version?.ToString());
    private readonly string _owner;
    private readonly IReadOnlyList<IMeteredPoller> _pollers;

    public OwnerMeter(string owner, IReadOnlyList<IMeteredPoller> pollers)
    {
        _owner = owner;
        _pollers = pollers;
        _meter.CreateObservableUpDownCounter("netpoll.connection.active", () => Observe(p => Volatile.Read(ref p.Counters.Registered)), "{connection}", "Connections registered on a poller.");
        _meter.CreateObservableCounter("netpoll.connection.accepted", () => Observe(p => Volatile.Read(ref p.Counters.Accepted)), "{connection}", "Connections accepted.");
        _meter.CreateObservableCounter("netpoll.connection.closed", () => Observe(p => Volatile.Read(ref p.Counters.Closed)), "{connection}", "Connections closed.");
        _meter.CreateObservableUpDownCounter("netpoll.connection.paused", () => Observe(p => Volatile.Read(ref p.Counters.Paused)), "{connection}", "Connections whose reading is paused by backpressure.");
        _meter.CreateObservableCounter("netpoll.io", ObserveIo, "By", "Bytes moved through sockets, by network.io.direction.");
        _meter.CreateObservableCounter("netpoll.syscalls", ObserveSyscalls, "{syscall}", "read and sendmsg calls, by network.io.direction.");
        _meter.CreateObservableUpDownCounter("netpoll.buffer.used", () => Observe(p => p.BufferedInputBytes()), "By", "Input bytes buffered and not yet read by handlers.");
        _meter.CreateObservableCounter("netpoll.poller.waits", () => Observe(p => Volatile.Read(ref p.Counters.Waits)), "{wait}", "epoll_wait/kevent calls.");
        _meter.CreateObservableCounter("netpoll.poller.events", () => Observe(p => Volatile.Read(ref p.Counters.Events)), "{event}", "Readiness events handled.");
        _meter.CreateObservableCounter("netpoll.poller.wakeups", () => Observe(p => Volatile.Read(ref p.Counters.Wakeups)), "{wakeup}", "Waits interrupted by another thread.");
        _meter.CreateObservableCounter("netpoll.poller.time", ObservePollerTime, "s", "Time poller threads spent working (netpoll.poller.state busy) and waiting for events (wait).");
        _meter.CreateObservableCounter("netpoll.flush.waited", () => Observe(p => Volatile.Read(ref p.Counters.WaitedFlushes)), "{flush}", "Flushes that had to wait for the socket to drain.");
        _meter.CreateObservableCounter("netpoll.accept.backoffs", () => Observe(p => Volatile.Read(ref p.Counters.AcceptBackoffs)), "{backoff}", "Times accept paused because fds ran out.");
        _meter.CreateObservableCounter("netpoll.timeouts", () => Observe(p => Volatile.Read(ref p.Counters.Timeouts)), "{timeout}", "Idle, read and write deadlines that fired.");
    }

    /// <summary>Removes this owner's instruments; listeners see their measurements complete.</summary>
    public void Dispose() => _meter.Dispose();

    private IEnumerable<Measurement<long>> Observe(Func<IMeteredPoller, long> read)
    {
        foreach (IMeteredPoller poller in _pollers)
        {
            yield return new Measurement<long>(read(poller), Tags(poller));
        }
    }

    /// <summary>The same busy and wait times as <see cref="PollerStats"/> (a wait in progress counts).</summary>
    private IEnumerable<Measurement<double>> ObservePollerTime()
    {
        foreach (IMeteredPoller poller in _pollers)
        {
            PollerStats stats = poller.Snapshot();
            yield return new Measurement<double>(stats.BusyTime.TotalSeconds, Tags(poller, "netpoll.poller.state", "busy"));
            yield return new Measurement<double>(stats.WaitTime.TotalSeconds, Tags(poller, "netpoll.poller.state", "wait"));
        }
    }

    private IEnumerable<Measurement<long>> ObserveIo()
    {
        foreach (IMeteredPoller poller in _pollers)
        {
            yield return new Measurement<long>(Volatile.Read(ref poller.Counters.BytesIn), Tags(poller, Direction, "receive"));
            yield return new Measurement<long>(Volatile.Read(ref poller.Counters.BytesOut), Tags(poller, Direction, "transmit"));
        }
    }

    private IEnumerable<Measurement<long>> ObserveSyscalls()
    {
        foreach (IMeteredPoller poller in _pollers)
        {
            yield return new Measurement<long>(Volatile.Read(ref poller.Counters.ReadCalls), Tags(poller, Direction, "receive"));
            yield return new Measurement<long>(Volatile.Read(ref poller.Counters.WriteCalls), Tags(poller, Direction, "transmit"));
        }
    }

    private TagList Tags(IMeteredPoller poller, string? key = null, string? value = null)
    {
        var tags = new TagList { { "netpoll.owner.name", _owner }, { "netpoll.poller.id", poller.Id } };
        if (key is not null)
        {
            tags.Add(key, value);
        }

        return tags;
    }
}
