using System.Collections.ObjectModel;
using System.Management.Automation;
using Netpoll.Proxy;

namespace Netpoll.PowerShell;

/// <summary>
/// Each toxic type's attributes, as Add-NetpollToxic's and Set-NetpollToxic's dynamic parameters: they
/// appear once the type is known, so tab completion offers only that type's, an attribute of another type
/// fails at parameter binding ("a parameter cannot be found"), and every value's range is checked there,
/// saying what is allowed. Names follow toxiproxy's attributes, and so do their units: a bare number is what
/// toxiproxy's API and CLI take (milliseconds for latency, jitter, timeout and slow_close's delay, microseconds
/// for the slicer's delay), so <c>-Timeout 50</c> means what <c>timeout=50</c> does there. A unit says it outright:
/// 200ms, 1.5s, 250us.
/// </summary>
internal static class ToxicAttributes
{
    private const double Milliseconds = 1e-3; // toxiproxy's unit for latency, jitter, timeout and slow_close's delay
    private const double Microseconds = 1e-6; // toxiproxy's unit for the slicer's delay

    private static readonly Dictionary<ToxicType, AttributeSpec[]> Types = new()
    {
        [ToxicType.Latency] = [Duration("Latency", required: true, Milliseconds, "Delay added to each chunk of data (a bare number: ms)."), Duration("Jitter", required: false, Milliseconds, "Each chunk's delay is drawn from Latency - Jitter to Latency + Jitter (a bare number: ms).")],
        [ToxicType.Bandwidth] = [Number("Rate", required: true, 1, BandwidthToxic.MaxRate, "Throughput limit in KB/s (1 KB = 1000 bytes).")],
        [ToxicType.SlowClose] = [Duration("Delay", required: true, Milliseconds, "How long the close (FIN) is held back after the data (a bare number: ms).")],
        [ToxicType.Timeout] = [Duration("Timeout", required: false, Milliseconds, "Close the connection this long after the toxic met it (a bare number: ms); 0 (the default): never, data is dropped.")],
        [ToxicType.ResetPeer] = [Duration("Timeout", required: false, Milliseconds, "Reset both sides this long after data arrives (a bare number: ms); 0 (the default): at once.")],
        [ToxicType.Slicer] =
        [
            Number("AverageSize", required: true, 1, SlicerToxic.MaxSize, "Average size of each write, in bytes."),
            Number("SizeVariation", required: false, 0, SlicerToxic.MaxSize - 1, "Each size varies by up to this many bytes (less than AverageSize)."),
            Duration("Delay", required: false, Microseconds, "Time between writes (a bare number: microseconds, as toxiproxy's slicer takes it)."),
        ],
        [ToxicType.LimitData] = [Number("Bytes", required: true, 0, long.MaxValue, "Bytes let through in the toxic's direction before both sides are closed.")],
        [ToxicType.Down] = [],
    };

    /// <summary>The dynamic parameters for <paramref name="type"/>; when <paramref name="adding"/>, the ones without a default are mandatory.</summary>
    public static RuntimeDefinedParameterDictionary Parameters(ToxicType type, bool adding)
    {
        var parameters = new RuntimeDefinedParameterDictionary();
        foreach (AttributeSpec spec in Types[type])
        {
            var attributes = new Collection<Attribute> { new ParameterAttribute { Mandatory = adding && spec.Required, HelpMessage = spec.Help } };
            foreach (Attribute check in spec.Checks())
            {
                attributes.Add(check);
            }

            parameters.Add(spec.Name, new RuntimeDefinedParameter(spec.Name, spec.ValueType, attributes));
        }

        return parameters;
    }

    /// <summary>What <paramref name="type"/> takes, for messages: "-Latency, -Jitter".</summary>
    public static string Describe(ToxicType type) =>
        Types[type].Length == 0 ? "no attribute" : string.Join(", ", Types[type].Select(a => "-" + a.Name));

    /// <summary>A new toxic of <paramref name="type"/> from the attributes the user set (the others keep their defaults).</summary>
    public static Toxic Create(ToxicType type, string? name, ToxicStream stream, double toxicity, RuntimeDefinedParameterDictionary? bound)
    {
        Toxic toxic = type switch
        {
            ToxicType.Latency => new LatencyToxic(),
            ToxicType.Bandwidth => new BandwidthToxic(),
            ToxicType.SlowClose => new SlowCloseToxic(),
            ToxicType.Timeout => new TimeoutToxic(),
            ToxicType.ResetPeer => new ResetPeerToxic(),
            ToxicType.Slicer => new SlicerToxic(),
            ToxicType.LimitData => new LimitDataToxic(),
            _ => new DownToxic(),
        };
        toxic = toxic with { Stream = stream, Toxicity = toxicity };
        return Apply(name is null ? toxic : toxic with { Name = name }, bound);
    }

    /// <summary><paramref name="toxic"/> with the attributes the user set changed (its name kept, even when the stream changes).</summary>
    public static Toxic Apply(Toxic toxic, RuntimeDefinedParameterDictionary? bound)
    {
        T Get<T>(string attribute, T current) => bound is not null && bound.TryGetValue(attribute, out RuntimeDefinedParameter? p) && p.IsSet ? (T)LanguagePrimitives.ConvertTo(p.Value, typeof(T), System.Globalization.CultureInfo.InvariantCulture) : current;
        return toxic switch
        {
            LatencyToxic t => t with { Latency = Get("Latency", t.Latency), Jitter = Get("Jitter", t.Jitter) },
            BandwidthToxic t => t with { Rate = Get("Rate", t.Rate) },
            SlowCloseToxic t => t with { Delay = Get("Delay", t.Delay) },
            TimeoutToxic t => t with { Timeout = Get("Timeout", t.Timeout) },
            ResetPeerToxic t => t with { Timeout = Get("Timeout", t.Timeout) },
            SlicerToxic t => t with { AverageSize = Get("AverageSize", t.AverageSize), SizeVariation = Get("SizeVariation", t.SizeVariation), Delay = Get("Delay", t.Delay) },
            LimitDataToxic t => t with { Bytes = Get("Bytes", t.Bytes) },
            _ => toxic,
        };
    }

    private static AttributeSpec Duration(string name, bool required, double bareNumberSeconds, string help) =>
        new(name, typeof(TimeSpan), required, help, () =>
            [new TimeSpanArgumentAttribute { BareNumberSeconds = bareNumberSeconds, ParameterName = name }, new ValidateTimeSpanRangeAttribute { BareNumberSeconds = bareNumberSeconds }]);

    private static AttributeSpec Number(string name, bool required, long min, long max, string help) => max <= int.MaxValue
        ? new(name, typeof(int), required, help, () => [new ValidateRangeAttribute((int)min, (int)max)])
        : new(name, typeof(long), required, help, () => [new ValidateRangeAttribute(min, max)]);

    /// <summary>One attribute: its parameter's name, type, whether a new toxic needs it, and its checks (made fresh per parameter).</summary>
    private sealed record AttributeSpec(string Name, Type ValueType, bool Required, string Help, Func<Attribute[]> Checks);
}
