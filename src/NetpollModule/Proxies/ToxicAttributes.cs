using System.Collections.ObjectModel;
using System.Management.Automation;
using Netpoll.Proxy;

namespace Netpoll.PowerShell;

/// <summary>
/// Each toxic type's attributes, as Add-NetpollToxic's and Set-NetpollToxic's dynamic parameters: they
/// appear once the type is known, so tab completion offers only that type's, an attribute of another type
/// fails at parameter binding ("a parameter cannot be found"), and every value's range is checked there,
/// saying what is allowed. Names follow toxiproxy's attributes; durations take 200ms, 1.5s, 250us.
/// </summary>
internal static class ToxicAttributes
{
    private static readonly Dictionary<ToxicType, AttributeSpec[]> Types = new()
    {
        [ToxicType.Latency] = [Duration("Latency", required: true, "Delay added to each chunk of data."), Duration("Jitter", required: false, "Each chunk's delay is drawn from Latency - Jitter to Latency + Jitter.")],
        [ToxicType.Bandwidth] = [Number("Rate", required: true, 1, BandwidthToxic.MaxRate, "Throughput limit in KB/s (1 KB = 1000 bytes).")],
        [ToxicType.SlowClose] = [Duration("Delay", required: true, "How long the close (FIN) is held back after the data.")],
        [ToxicType.Timeout] = [Duration("Timeout", required: false, "Close the connection this long after the toxic met it; 0 (the default): never, data is dropped.")],
        [ToxicType.ResetPeer] = [Duration("Timeout", required: false, "Reset both sides this long after data arrives; 0 (the default): at once.")],
        [ToxicType.Slicer] =
        [
            Number("AverageSize", required: true, 1, SlicerToxic.MaxSize, "Average size of each write, in bytes."),
            Number("SizeVariation", required: false, 0, SlicerToxic.MaxSize - 1, "Each size varies by up to this many bytes (less than AverageSize)."),
            Duration("Delay", required: false, "Time between writes (toxiproxy gives it in microseconds: 250us)."),
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

    private static AttributeSpec Duration(string name, bool required, string help) =>
        new(name, typeof(TimeSpan), required, help, () => [new TimeSpanArgumentAttribute(), new ValidateTimeSpanRangeAttribute()]);

    private static AttributeSpec Number(string name, bool required, long min, long max, string help) => max <= int.MaxValue
        ? new(name, typeof(int), required, help, () => [new ValidateRangeAttribute((int)min, (int)max)])
        : new(name, typeof(long), required, help, () => [new ValidateRangeAttribute(min, max)]);

    /// <summary>One attribute: its parameter's name, type, whether a new toxic needs it, and its checks (made fresh per parameter).</summary>
    private sealed record AttributeSpec(string Name, Type ValueType, bool Required, string Help, Func<Attribute[]> Checks);
}
