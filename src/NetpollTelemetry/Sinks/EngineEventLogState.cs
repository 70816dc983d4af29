using System.Collections;
using System.Diagnostics.Tracing;
using System.Globalization;

namespace Netpoll.Telemetry;

/// <summary>
/// One engine event as structured log state: its payload by name, then <c>{OriginalFormat}</c> with
/// named holes (as LoggerMessage produces), so formatters that keep fields (json) keep them here too.
/// </summary>
internal sealed class EngineEventLogState : IReadOnlyList<KeyValuePair<string, object?>>
{
    private readonly EventWrittenEventArgs _event;

    public EngineEventLogState(EventWrittenEventArgs eventData) => _event = eventData;

    public static Func<EngineEventLogState, Exception?, string> Format { get; } = static (state, _) => state.ToString();

    public int Count => PayloadCount + 1;

    private int PayloadCount => _event.Payload?.Count ?? 0;

    public KeyValuePair<string, object?> this[int index]
    {
        get
        {
            if (index == PayloadCount)
            {
                return new("{OriginalFormat}", NamedTemplate());
            }

            ArgumentOutOfRangeException.ThrowIfNegative(index);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(index, PayloadCount);
            return new(_event.PayloadNames![index], _event.Payload![index]);
        }
    }

    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator()
    {
        for (int i = 0; i < Count; i++)
        {
            yield return this[i];
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>The event's message with its payload filled in.</summary>
    public override string ToString()
    {
        object?[] payload = [.. _event.Payload ?? []];
        return string.IsNullOrEmpty(_event.Message)
            ? $"{_event.EventName} {string.Join(", ", payload)}"
            : string.Format(CultureInfo.InvariantCulture, _event.Message, payload);
    }

    private string NamedTemplate()
    {
        string template = _event.Message ?? _event.EventName ?? "";
        for (int i = 0; i < PayloadCount; i++)
        {
            template = template.Replace("{" + i.ToString(CultureInfo.InvariantCulture) + "}", "{" + _event.PayloadNames![i] + "}", StringComparison.Ordinal);
        }

        return template;
    }
}
