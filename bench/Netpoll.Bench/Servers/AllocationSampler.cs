using System.Diagnostics.Tracing;
using System.Globalization;

namespace Netpoll.Bench;

/// <summary>
/// Diagnosis only (<c>server ... --alloc-trace</c>): listens to the runtime's GC AllocationTick events
/// (one per ~100 KB allocated) and counts them by type, to name what allocates per request. The listener
/// allocates itself, so never combine it with a measured run.
/// </summary>
internal sealed class AllocationSampler : EventListener
{
    private const EventKeywords GcKeyword = (EventKeywords)0x1;
    private readonly Dictionary<string, (long Ticks, long Bytes)> _byType = new(StringComparer.Ordinal);

    protected override void OnEventSourceCreated(EventSource eventSource)
    {
        if (eventSource.Name == "Microsoft-Windows-DotNETRuntime")
        {
            EnableEvents(eventSource, EventLevel.Verbose, GcKeyword);
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs eventData)
    {
        if (eventData.EventName is null || !eventData.EventName.StartsWith("GCAllocationTick", StringComparison.Ordinal) || eventData.Payload is null)
        {
            return;
        }

        int typeIndex = eventData.PayloadNames!.IndexOf("TypeName");
        int amountIndex = eventData.PayloadNames.IndexOf("AllocationAmount64");
        string type = typeIndex >= 0 ? eventData.Payload[typeIndex]?.ToString() ?? "?" : "?";
        long amount = amountIndex >= 0 ? Convert.ToInt64(eventData.Payload[amountIndex], CultureInfo.InvariantCulture) : 0;
        lock (_byType)
        {
            (long ticks, long bytes) = _byType.GetValueOrDefault(type);
            _byType[type] = (ticks + 1, bytes + amount);
        }
    }

    public void Reset()
    {
        lock (_byType)
        {
            _byType.Clear();
        }
    }

    /// <summary>One JSON line: {"allocs":{"type":bytes,...}} for the 12 types with the most sampled bytes.</summary>
    public string Report()
    {
        lock (_byType)
        {
            var top = _byType.OrderByDescending(kv => kv.Value.Bytes).Take(12).ToDictionary(kv => kv.Key, kv => kv.Value.Bytes);
            return "{\"allocs\":" + System.Text.Json.JsonSerializer.Serialize(top) + "}";
        }
    }
}
