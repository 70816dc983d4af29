using System.Reflection;

namespace Netpoll.Diagnostics;

/// <summary>How the <c>Netpoll</c> meter reports a <see cref="PollerCounter"/>.</summary>
[AttributeUsage(AttributeTargets.Field)]
internal sealed class InstrumentAttribute(string name, string unit, string description) : Attribute
{
    /// <summary>Every counter, in declaration order, with how it is reported.</summary>
    public static readonly IReadOnlyList<(PollerCounter Counter, InstrumentAttribute Instrument)> All =
        [.. Enum.GetValues<PollerCounter>().Select(c => (c, typeof(PollerCounter).GetField(c.ToString())!.GetCustomAttribute<InstrumentAttribute>()
            ?? throw new InvalidOperationException($"PollerCounter.{c} declares no [Instrument].")))];

    public string Name { get; } = name;

    public string Unit { get; } = unit;

    public string Description { get; } = description;

    /// <summary>A value that goes down as well as up (an UpDownCounter), not a running total.</summary>
    public bool UpDown { get; init; }

    /// <summary>The attribute telling apart counters that share the instrument, and this counter's value of it.</summary>
    public string? Attribute { get; init; }

    public string? Value { get; init; }

    /// <summary>The counter holds Stopwatch ticks; the instrument reports seconds.</summary>
    public bool StopwatchTicks { get; init; }
}
