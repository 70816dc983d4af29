namespace Netpoll.Load;

/// <summary>The verdict of one <see cref="LoadThreshold"/> on a result: what was asked, what was measured, passed or not.</summary>
public sealed record LoadThresholdResult
{
    /// <summary>The metric checked (LatencyP99, ErrorRate, ...).</summary>
    public required string Metric { get; init; }

    /// <summary>&lt;, &lt;=, &gt; or &gt;=.</summary>
    public required string Operator { get; init; }

    /// <summary>The limit, in the metric's unit (milliseconds, a fraction, per second, a count).</summary>
    public required double Limit { get; init; }

    /// <summary>The condition as text: "&lt;= 50 ms".</summary>
    public required string Condition { get; init; }

    /// <summary>What the run measured, in the metric's unit; null when it measured nothing (which fails).</summary>
    public required double? Actual { get; init; }

    /// <summary>What the run measured as text: "3.2 ms", or "not measured".</summary>
    public required string ActualText { get; init; }

    public required bool Passed { get; init; }

    /// <summary>The threshold itself, to evaluate again (on a merged result, say).</summary>
    public LoadThreshold Threshold => new() { Metric = Metric, Operator = Operator, Limit = Limit };

    /// <summary>"LatencyP99 &lt;= 50 ms: 3.2 ms, passed".</summary>
    public override string ToString() => $"{Metric} {Condition}: {ActualText}, {(Passed ? "passed" : "failed")}";
}
