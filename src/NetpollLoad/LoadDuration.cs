using System.Globalization;

namespace Netpoll.Load;

/// <summary>
/// Durations as people write them in load tests: a number with a unit (<c>50ms</c>, <c>1.5s</c>, <c>250us</c>,
/// <c>2m</c>, <c>1h</c>) or a TimeSpan (<c>00:00:30</c>).
/// </summary>
public static class LoadDuration
{
    /// <summary>The units, for messages: what a duration may end with.</summary>
    public const string Units = "ns, us (or µs), ms, s, m (or min), h";

    /// <summary>Parses a number with a unit, or a TimeSpan (hh:mm:ss). A bare number is not a duration here: its unit is the caller's choice.</summary>
    public static bool TryParse(string? text, out TimeSpan duration)
    {
        duration = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        string trimmed = text.Trim();
        int split = trimmed.Length;
        while (split > 0 && !char.IsAsciiDigit(trimmed[split - 1]) && trimmed[split - 1] != '.')
        {
            split--;
        }

        string number = trimmed[..split].TrimEnd();
        string unit = trimmed[split..].Trim().ToLowerInvariant();
        if (unit.Length == 0)
        {
            return trimmed.Contains(':', StringComparison.Ordinal) && TimeSpan.TryParse(trimmed, CultureInfo.InvariantCulture, out duration) && duration >= TimeSpan.Zero;
        }

        if (!double.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double value) || double.IsInfinity(value))
        {
            return false;
        }

        double? seconds = unit switch
        {
            "ns" => value / 1e9,
            "us" or "µs" => value / 1e6,
            "ms" => value / 1e3,
            "s" or "sec" => value,
            "m" or "min" => value * 60,
            "h" => value * 3600,
            _ => null,
        };
        if (seconds is not { } s || s > TimeSpan.MaxValue.TotalSeconds)
        {
            return false;
        }

        duration = TimeSpan.FromTicks((long)Math.Round(s * TimeSpan.TicksPerSecond));
        return true;
    }

    /// <exception cref="FormatException">Not a number with one of <see cref="Units"/>, nor a TimeSpan.</exception>
    public static TimeSpan Parse(string text) =>
        TryParse(text, out TimeSpan duration) ? duration : throw new FormatException($"'{text}' is not a duration: give a number with a unit ({Units}), such as 50ms or 1.5s, or a TimeSpan such as 00:00:30.");
}
