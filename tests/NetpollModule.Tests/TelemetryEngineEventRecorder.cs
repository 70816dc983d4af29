using System.Collections.Concurrent;
using System.Diagnostics.Tracing;
using Netpoll.Diagnostics;

namespace Netpoll.PowerShell.Tests;

/// <summary>Records the Netpoll-Engine events of one owner (server name), with their payload by name.</summary>
internal sealed class TelemetryEngineEventRecorder : EventListener
{
    private readonly ConcurrentQueue<(string Name, EventLevel Level, IReadOnlyDictionary<string, object?> Payload)> _events = new();
    private string? _owner;

    public IReadOnlyList<(string Name, EventLevel Level, IReadOnlyDictionary<string, object?> Payload)> Events => [.. _events];

    public static TelemetryEngineEventRecorder For(string owner)
    {
        var recorder = new TelemetryEngineEventRecorder();
        recorder._owner = owner;
        return recorder;
    }

    /// <summary>The engine's EventSource is internal: found by its public name, now or when it is created.</summary>
    protected override void OnEventSourceCreated(EventSource eventSource)
    {
        if (eventSource.Name == NetpollDiagnostics.EventSourceName)
        {
            EnableEvents(eventSource, EventLevel.Verbose, EventKeywords.All);
        }
    }

    /// <summary>Waits (bounded) until an event named <paramref name="name"/> was recorded; returns its payload.</summary>
    public IReadOnlyDictionary<string, object?> WaitFor(string name, TimeSpan timeout)
    {
        IReadOnlyDictionary<string, object?>? payload = null;
        Eventually.Until(() => (payload = _events.FirstOrDefault(e => e.Name == name).Payload) is not null, $"a {name} event is recorded", timeout, () => $"saw: {string.Join(", ", _events.Select(e => e.Name))}");
        return payload!;
    }

    protected override void OnEventWritten(EventWrittenEventArgs eventData)
    {
        if (eventData.EventSource.Name != NetpollDiagnostics.EventSourceName || eventData.EventName is null || eventData.PayloadNames is null)
        {
            return;
        }

        var payload = new Dictionary<string, object?>(StringComparer.Ordinal);
        for (int i = 0; i < eventData.PayloadNames.Count; i++)
        {
            payload[eventData.PayloadNames[i]] = eventData.Payload![i];
        }

        object? owner = payload.GetValueOrDefault("server") ?? payload.GetValueOrDefault("owner");
        if (_owner is not null && Equals(owner, _owner))
        {
            _events.Enqueue((eventData.EventName, eventData.Level, payload));
        }
    }
}
