using System.Globalization;
using Netpoll.Load;
using Netpoll.Proxy;

namespace Netpoll.PowerShell;

/// <summary>One toxic of one proxy (Get-/Add-/Set-NetpollToxic): its settings, in toxiproxy's terms, and how often it applied.</summary>
public sealed class NetpollToxic
{
    private NetpollToxic(string proxyName, Toxic toxic, long applied)
    {
        ProxyName = proxyName;
        Toxic = toxic;
        Applied = applied;
    }

    public string ProxyName { get; }

    public string Name => Toxic.Name;

    public ToxicType Type => Toxic.Type;

    public ToxicStream Stream => Toxic.Stream;

    public double Toxicity => Toxic.Toxicity;

    /// <summary>The type's attributes with toxiproxy's names and units, e.g. <c>latency=200ms jitter=10ms</c>.</summary>
    public string Attributes => Toxic switch
    {
        LatencyToxic t => $"latency={Ms(t.Latency)} jitter={Ms(t.Jitter)}",
        BandwidthToxic t => $"rate={t.Rate.ToString(CultureInfo.InvariantCulture)}KB/s",
        SlowCloseToxic t => $"delay={Ms(t.Delay)}",
        TimeoutToxic t => $"timeout={Ms(t.Timeout)}",
        ResetPeerToxic t => $"timeout={Ms(t.Timeout)}",
        SlicerToxic t => string.Create(CultureInfo.InvariantCulture, $"average_size={t.AverageSize} size_variation={t.SizeVariation} delay={t.Delay.Ticks / TimeSpan.TicksPerMicrosecond}us"),
        LimitDataToxic t => $"bytes={t.Bytes.ToString(CultureInfo.InvariantCulture)}",
        _ => "",
    };

    /// <summary>Connections (directions) its toxicity roll applied it to, since the proxy started.</summary>
    public long Applied { get; }

    /// <summary>The engine's toxic, with every attribute as a typed property.</summary>
    public Toxic Toxic { get; }

    internal static IReadOnlyList<NetpollToxic> Of(NetpollProxy proxy)
    {
        IReadOnlyDictionary<string, long> applied = proxy.Proxy.GetStats().ToxicsApplied;
        return new ReadableList<NetpollToxic>(proxy.Proxy.Toxics.Select(t => new NetpollToxic(proxy.Name, t, applied.GetValueOrDefault(t.Name)))); // prints its toxics in a CSV cell
    }

    public override string ToString() => $"{Name} ({Toxic.TypeName} {Stream}, toxicity {Toxicity.ToString(CultureInfo.InvariantCulture)}: {Attributes})";

    private static string Ms(TimeSpan span) => string.Create(CultureInfo.InvariantCulture, $"{span.TotalMilliseconds:0.###}ms");
}
