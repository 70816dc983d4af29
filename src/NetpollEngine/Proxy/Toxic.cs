using System.Globalization;

namespace Netpoll.Proxy;

/// <summary>
/// A fault a <see cref="TcpProxy"/> injects into the connections it forwards, as toxiproxy defines it:
/// one direction (<see cref="Stream"/>), applied to a share of the connections (<see cref="Toxicity"/>,
/// rolled for each connection when the toxic meets it, and again when the toxic is updated).
/// </summary>
/// <remarks>
/// Effects compose in a fixed order whatever the order toxics were added: the data gates first
/// (timeout, reset_peer, limit_data), then the timing (latency, bandwidth), then the shaping (slicer);
/// slow_close acts on the close alone. Changing or removing a toxic releases at once the data it holds.
/// </remarks>
public abstract record Toxic
{
    /// <summary>The longest a toxic's delay or timeout may be (what a timer can wait).</summary>
    public static readonly TimeSpan MaxDelay = TimeSpan.FromDays(24);

    private readonly string? _name;

    /// <summary>Unique within a proxy. Default: toxiproxy's <c>type_stream</c>, e.g. <c>latency_downstream</c> (<c>down</c> for down).</summary>
    public string Name
    {
        get => _name ?? (Type == ToxicType.Down ? TypeName : $"{TypeName}_{(Stream == ToxicStream.Upstream ? "upstream" : "downstream")}");
        init => _name = value;
    }

    /// <summary>The direction it acts on. Default: <see cref="ToxicStream.Downstream"/> (responses), as in toxiproxy.</summary>
    public ToxicStream Stream { get; init; } = ToxicStream.Downstream;

    /// <summary>The probability, from 0 to 1, that it applies to a given connection. Default: 1.</summary>
    public double Toxicity { get; init; } = 1.0;

    public abstract ToxicType Type { get; }

    /// <summary>toxiproxy's name for the type: latency, bandwidth, slow_close, timeout, reset_peer, slicer, limit_data, down.</summary>
    public string TypeName => Type switch
    {
        ToxicType.SlowClose => "slow_close",
        ToxicType.ResetPeer => "reset_peer",
        ToxicType.LimitData => "limit_data",
        _ => Type.ToString().ToLowerInvariant(),
    };

    /// <summary>Throws <see cref="ArgumentException"/> naming the field and what it allows when the toxic is malformed.</summary>
    public void Validate()
    {
        string name = Name;
        if (string.IsNullOrWhiteSpace(name) || name.Length > 128 || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.'))
        {
            throw new ArgumentException($"Toxic name '{name}' is not allowed: use 1 to 128 letters, digits, '_', '-' or '.'.", nameof(Name));
        }

        if (!Enum.IsDefined(Stream))
        {
            throw new ArgumentException($"Toxic '{name}': Stream must be Upstream or Downstream, got {Stream}.", nameof(Stream));
        }

        if (double.IsNaN(Toxicity) || Toxicity < 0 || Toxicity > 1)
        {
            throw new ArgumentException($"Toxic '{name}': Toxicity must be between 0 and 1, got {Toxicity.ToString(CultureInfo.InvariantCulture)}.", nameof(Toxicity));
        }

        ValidateAttributes();
    }

    /// <summary>Checks the type's own attributes; throws through <see cref="CheckDelay"/> and <see cref="CheckRange"/>.</summary>
    private protected abstract void ValidateAttributes();

    private protected void CheckDelay(TimeSpan value, string attribute)
    {
        if (value < TimeSpan.Zero || value > MaxDelay)
        {
            throw new ArgumentException($"Toxic '{Name}' ({TypeName}): {attribute} must be between 0 and {MaxDelay.TotalDays:0} days, got {value}.", attribute);
        }
    }

    private protected void CheckRange(long value, long min, long max, string attribute)
    {
        if (value < min || value > max)
        {
            throw new ArgumentException($"Toxic '{Name}' ({TypeName}): {attribute} must be between {min} and {max}, got {value}.", attribute);
        }
    }
}
