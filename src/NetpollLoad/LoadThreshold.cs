using System.Globalization;

namespace Netpoll.Load;

/// <summary>
/// A pass/fail condition on one metric of a <see cref="LoadResult"/>, for CI: <c>LatencyP99 &lt;= 50 ms</c>,
/// <c>ErrorRate &lt;= 0.1%</c>, <c>RequestsPerSecond &gt;= 1000</c>. Parse it from what a user writes
/// (<see cref="Parse"/>), evaluate it against a result (<see cref="Evaluate"/>).
/// </summary>
public sealed record LoadThreshold
{
    private static readonly string[] Operators = ["<=", ">=", "<", ">"];

    /// <summary>The metric's name, as <see cref="Metrics"/> lists it (e.g. LatencyP99).</summary>
    public required string Metric { get; init; }

    /// <summary>&lt;, &lt;=, &gt; or &gt;=.</summary>
    public required string Operator { get; init; }

    /// <summary>The limit in the metric's unit: milliseconds for times, a fraction (0.001 = 0.1 %) for ErrorRate, per second for RequestsPerSecond, a count otherwise.</summary>
    public required double Limit { get; init; }

    /// <summary>The metrics a threshold may name (case does not matter; LatencyP99Ms is LatencyP99).</summary>
    public static IReadOnlyList<string> Metrics { get; } = [.. LoadMetric.All.Select(m => m.Name)];

    /// <summary>"&lt;= 50 ms".</summary>
    public string Condition => $"{Operator} {LoadMetric.Find(Metric)!.Format(Limit)}";

    /// <summary>
    /// Parses a condition on a metric. The condition is an optional operator (&lt;, &lt;=, &gt;, &gt;=; by default
    /// &lt;= for everything but RequestsPerSecond and Requests, which default to &gt;=) and a limit: a duration for
    /// times (50ms, 1.5s, 250us; a bare number is milliseconds), a percentage or a fraction for ErrorRate
    /// (0.1% or 0.001), a number for rates and counts.
    /// </summary>
    /// <exception cref="FormatException">An unknown metric or a condition that does not parse; the message lists what is allowed.</exception>
    public static LoadThreshold Parse(string metric, string condition)
    {
        ArgumentNullException.ThrowIfNull(metric);
        ArgumentNullException.ThrowIfNull(condition);
        LoadMetric m = LoadMetric.Find(metric)
            ?? throw new FormatException($"'{metric}' is not a metric a threshold can check: use one of {string.Join(", ", Metrics)}.");
        string text = condition.Trim();
        string op = Operators.FirstOrDefault(o => text.StartsWith(o, StringComparison.Ordinal)) ?? m.DefaultOperator;
        if (text.StartsWith(op, StringComparison.Ordinal))
        {
            text = text[op.Length..].Trim();
        }

        double limit = m.ParseLimit(text)
            ?? throw new FormatException($"'{condition}' is not a condition on {m.Name}: give an optional operator (<, <=, >, >=) and {m.LimitHelp}.");
        return new LoadThreshold { Metric = m.Name, Operator = op, Limit = limit };
    }

    /// <summary>Checks <paramref name="result"/>; a metric the run did not measure (no latency, no schedule) fails.</summary>
    public LoadThresholdResult Evaluate(LoadResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        LoadMetric m = LoadMetric.Find(Metric) ?? throw new InvalidOperationException($"'{Metric}' is not a metric.");
        double? actual = m.Read(result);
        bool passed = actual is { } a && Operator switch
        {
            "<" => a < Limit,
            "<=" => a <= Limit,
            ">" => a > Limit,
            ">=" => a >= Limit,
            _ => false,
        };
        return new LoadThresholdResult
        {
            Metric = Metric,
            Operator = Operator,
            Limit = Limit,
            Condition = Condition,
            Actual = actual,
            ActualText = actual is { } v ? m.Format(v) : "not measured",
            Passed = passed,
        };
    }

    /// <summary>"LatencyP99 &lt;= 50 ms".</summary>
    public override string ToString() => $"{Metric} {Condition}";
}

/// <summary>A metric thresholds can check: its name, unit, how it is read from a result, and how a limit is written.</summary>
internal sealed record LoadMetric(string Name, LoadMetricUnit Unit, Func<LoadResult, double?> Read)
{
    public static readonly LoadMetric[] All =
    [
        new("LatencyMean", LoadMetricUnit.Milliseconds, r => r.LatencyMeanMs),
        new("LatencyP50", LoadMetricUnit.Milliseconds, r => r.LatencyP50Ms),
        new("LatencyP90", LoadMetricUnit.Milliseconds, r => r.LatencyP90Ms),
        new("LatencyP99", LoadMetricUnit.Milliseconds, r => r.LatencyP99Ms),
        new("LatencyP999", LoadMetricUnit.Milliseconds, r => r.LatencyP999Ms),
        new("LatencyMax", LoadMetricUnit.Milliseconds, r => r.LatencyMaxMs),
        new("ServiceTimeMean", LoadMetricUnit.Milliseconds, r => r.ServiceTimeMeanMs),
        new("ServiceTimeP50", LoadMetricUnit.Milliseconds, r => r.ServiceTimeP50Ms),
        new("ServiceTimeP90", LoadMetricUnit.Milliseconds, r => r.ServiceTimeP90Ms),
        new("ServiceTimeP99", LoadMetricUnit.Milliseconds, r => r.ServiceTimeP99Ms),
        new("ServiceTimeP999", LoadMetricUnit.Milliseconds, r => r.ServiceTimeP999Ms),
        new("ServiceTimeMax", LoadMetricUnit.Milliseconds, r => r.ServiceTimeMaxMs),
        new("ConnectP50", LoadMetricUnit.Milliseconds, r => r.ConnectP50Ms),
        new("ConnectP99", LoadMetricUnit.Milliseconds, r => r.ConnectP99Ms),
        new("ConnectMax", LoadMetricUnit.Milliseconds, r => r.ConnectMaxMs),
        new("ScheduleLagMax", LoadMetricUnit.Milliseconds, r => r.ScheduleLagMaxMs),
        new("ErrorRate", LoadMetricUnit.Ratio, r => r.ErrorRate),
        new("RequestsPerSecond", LoadMetricUnit.PerSecond, r => r.RequestsPerSecond),
        new("Requests", LoadMetricUnit.Count, r => r.Requests),
        new("RequestsFailed", LoadMetricUnit.Count, r => r.RequestsFailed),
        new("RequestsNotSent", LoadMetricUnit.Count, r => r.RequestsScheduled is null ? null : r.RequestsNotSent),
        new("Errors", LoadMetricUnit.Count, r => r.Errors),
        new("ConnectFailures", LoadMetricUnit.Count, r => r.ConnectFailures),
        new("Status4xx", LoadMetricUnit.Count, r => r.Status4xx),
        new("Status5xx", LoadMetricUnit.Count, r => r.Status5xx),
    ];

    /// <summary>More is better for these: a bare limit means "at least".</summary>
    public string DefaultOperator => Name is "RequestsPerSecond" or "Requests" ? ">=" : "<=";

    public string LimitHelp => Unit switch
    {
        LoadMetricUnit.Milliseconds => $"a duration ({LoadDuration.Units}; a bare number is milliseconds), such as 50ms",
        LoadMetricUnit.Ratio => "a percentage or a fraction, such as 0.1% or 0.001",
        LoadMetricUnit.PerSecond => "a rate, such as 1000 or 1000/s",
        _ => "a count, such as 0",
    };

    public static LoadMetric? Find(string name)
    {
        string key = name.Trim();
        if (key.EndsWith("Ms", StringComparison.OrdinalIgnoreCase) && key.Length > 2)
        {
            key = key[..^2];
        }

        return All.FirstOrDefault(m => string.Equals(m.Name, key, StringComparison.OrdinalIgnoreCase));
    }

    public double? ParseLimit(string text)
    {
        switch (Unit)
        {
            case LoadMetricUnit.Milliseconds:
                if (Number(text) is { } ms)
                {
                    return ms;
                }

                return LoadDuration.TryParse(text, out TimeSpan d) ? d.TotalMilliseconds : null;
            case LoadMetricUnit.Ratio:
                if (text.EndsWith('%'))
                {
                    return Number(text[..^1]) is { } percent && percent <= 100 ? percent / 100 : null;
                }

                return Number(text) is { } fraction && fraction <= 1 ? fraction : null;
            case LoadMetricUnit.PerSecond:
                return Number(text.EndsWith("/s", StringComparison.Ordinal) ? text[..^2] : text);
            default:
                return Number(text);
        }
    }

    public string Format(double value) => Unit switch
    {
        LoadMetricUnit.Milliseconds => Decimals(value, 3) + " ms",
        LoadMetricUnit.Ratio => Decimals(value * 100, 4) + "%",
        LoadMetricUnit.PerSecond => Decimals(value, 2) + "/s",
        _ => Decimals(value, 2),
    };

    /// <summary>
    /// <paramref name="value"/> to <paramref name="decimals"/> places without trailing zeros, rounded as the result's views
    /// and PowerShell's <c>'{0:N3}' -f</c> round: the double itself, by the standard "F" format. A custom format
    /// ("0.###") rounds a 15-digit decimal of it first, so a p99 of 1.2185 ms (1.21849999... as a double) read 1.219 ms
    /// here and 1.218 in the list view.
    /// </summary>
    private static string Decimals(double value, int decimals)
    {
        string text = value.ToString("F" + decimals.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
        text = text.Contains('.', StringComparison.Ordinal) ? text.TrimEnd('0').TrimEnd('.') : text;
        return text == "-0" ? "0" : text;
    }

    private static double? Number(string text) =>
        double.TryParse(text.Trim(), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double value) && double.IsFinite(value) ? value : null;
}

internal enum LoadMetricUnit
{
    Milliseconds,
    Ratio,
    PerSecond,
    Count,
}
