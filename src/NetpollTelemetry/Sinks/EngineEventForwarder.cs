using System.Diagnostics.Tracing;
using Microsoft.Extensions.Logging;
using Netpoll.Diagnostics;

namespace Netpoll.Telemetry;

/// <summary>
/// Listens to the engine's EventSource (<see cref="NetpollDiagnostics.EventSourceName"/>) in-process and writes each event to an
/// <see cref="ILogger"/>. Events arrive on the thread that raised them (sometimes a poller); the
/// console logger only formats and queues there, and the engine raises these events rarely.
/// </summary>
internal sealed class EngineEventForwarder : EventListener
{
    // Initialized before the base constructor runs, which already reports existing sources.
    private readonly List<EventSource> _sourcesSeenEarly = [];
    private readonly ILogger _logger;
    private readonly EventLevel _level;
    private readonly bool _ready; // false only while the base constructor runs
    private volatile bool _disposed;

    public EngineEventForwarder(ILogger logger, EventLevel level)
    {
        _logger = logger;
        _level = level;
        lock (_sourcesSeenEarly)
        {
            _ready = true;
            foreach (EventSource source in _sourcesSeenEarly)
            {
                EnableEvents(source, _level, EventKeywords.All);
            }

            _sourcesSeenEarly.Clear();
        }
    }

    /// <summary>Stops forwarding before detaching: an event already being dispatched must not reach a disposed logger.</summary>
    public override void Dispose()
    {
        _disposed = true;
        base.Dispose();
    }

    protected override void OnEventSourceCreated(EventSource eventSource)
    {
        if (eventSource.Name != NetpollDiagnostics.EventSourceName)
        {
            return;
        }

        lock (_sourcesSeenEarly)
        {
            if (_ready)
            {
                EnableEvents(eventSource, _level, EventKeywords.All);
            }
            else
            {
                _sourcesSeenEarly.Add(eventSource);
            }
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs eventData)
    {
        if (_disposed || eventData.EventSource.Name != NetpollDiagnostics.EventSourceName || eventData.EventId <= 0)
        {
            return; // EventSource's own diagnostics (id 0, -1) are not engine events
        }

        LogLevel level = LogLevels.FromEventLevel(eventData.Level);
        if (_logger.IsEnabled(level))
        {
            _logger.Log(level, new EventId(eventData.EventId, eventData.EventName), new EngineEventLogState(eventData), null, EngineEventLogState.Format);
        }
    }
}
