using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Netpoll.Diagnostics;

/// <summary>
/// The <c>Netpoll</c> meter of one server or dialer: one observable instrument per instrument name that
/// <see cref="PollerCounter"/> declares, reading that owner's pollers. Every owner creates its own
/// <see cref="Meter"/> named <see cref="NetpollDiagnostics.MeterName"/> (as ASP.NET Core's IMeterFactory
/// does per container) and disposes it when it stops, so no process-global list of pollers exists;
/// listeners subscribe by name and see every owner. Values are read only when a listener collects, so
/// the hot path pays nothing. Each measurement carries <c>netpoll.owner.name</c> (server or dialer name)
/// and <c>netpoll.poller.id</c>, plus the counter's own attribute when it shares its instrument.
/// </summary>
internal sealed class OwnerMeter : IDisposable
{
    private readonly Meter _meter = new(NetpollDiagnostics.MeterName, typeof(OwnerMeter).Assembly.GetName().Version?.ToString());
    private readonly string _owner;
    private readonly IReadOnlyList<IMeteredPoller> _pollers;

    public OwnerMeter(string owner, IReadOnlyList<IMeteredPoller> pollers)
    {
        _owner = owner;
        _pollers = pollers;
        foreach (IGrouping<string, (PollerCounter Counter, InstrumentAttribute Instrument)> group in InstrumentAttribute.All.GroupBy(c => c.Instrument.Name))
        {
            (PollerCounter Counter, InstrumentAttribute Instrument)[] counters = [.. group];
            InstrumentAttribute first = counters[0].Instrument;
            if (first.StopwatchTicks)
            {
                _meter.CreateObservableCounter(group.Key, () => ObserveSeconds(counters), first.Unit, first.Description);
            }
            else if (first.UpDown)
            {
                _meter.CreateObservableUpDownCounter(group.Key, () => Observe(counters), first.Unit, first.Description);
            }
            else
            {
                _meter.CreateObservableCounter(group.Key, () => Observe(counters), first.Unit, first.Description);
            }
        }
    }

    /// <summary>Removes this owner's instruments; listeners see their measurements complete.</summary>
    public void Dispose() => _meter.Dispose();

    private IEnumerable<Measurement<long>> Observe((PollerCounter Counter, InstrumentAttribute Instrument)[] counters)
    {
        foreach (IMeteredPoller poller in _pollers)
        {
            foreach ((PollerCounter counter, InstrumentAttribute instrument) in counters)
            {
                yield return new Measurement<long>(poller.Read(counter), Tags(poller, instrument));
            }
        }
    }

    private IEnumerable<Measurement<double>> ObserveSeconds((PollerCounter Counter, InstrumentAttribute Instrument)[] counters)
    {
        foreach (IMeteredPoller poller in _pollers)
        {
            foreach ((PollerCounter counter, InstrumentAttribute instrument) in counters)
            {
                yield return new Measurement<double>(Stopwatch.GetElapsedTime(0, poller.Read(counter)).TotalSeconds, Tags(poller, instrument));
            }
        }
    }

    private TagList Tags(IMeteredPoller poller, InstrumentAttribute instrument)
    {
        var tags = new TagList { { "netpoll.owner.name", _owner }, { "netpoll.poller.id", poller.Id } };
        if (instrument.Attribute is not null)
        {
            tags.Add(instrument.Attribute, instrument.Value);
        }

        return tags;
    }
}
