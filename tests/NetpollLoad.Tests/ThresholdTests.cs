using System.Globalization;
using CsCheck;

namespace Netpoll.Load.Tests;

public class ThresholdTests
{
    [Theory]
    [InlineData("LatencyP99", "50ms", "<=", 50.0)]
    [InlineData("latencyp99ms", "< 1.5s", "<", 1500.0)]
    [InlineData("ErrorRate", "0.1%", "<=", 0.001)]
    [InlineData("ErrorRate", "0.02", "<=", 0.02)]
    [InlineData("RequestsPerSecond", ">=1000", ">=", 1000.0)]
    [InlineData("RequestsPerSecond", "1000", ">=", 1000.0)]
    [InlineData("Status5xx", "0", "<=", 0.0)]
    public void Conditions_parse_with_their_default_operator_and_unit(string metric, string condition, string op, double limit)
    {
        LoadThreshold threshold = LoadThreshold.Parse(metric, condition);
        Assert.Equal(op, threshold.Operator);
        Assert.Equal(limit, threshold.Limit, 9);
    }

    [Theory]
    [InlineData("LatencyP98", "50ms", "is not a metric")]
    [InlineData("LatencyP99", "fast", "a duration")]
    [InlineData("ErrorRate", "lots", "a percentage")]
    public void What_does_not_parse_says_what_is_allowed(string metric, string condition, string hint)
    {
        FormatException error = Assert.Throws<FormatException>(() => LoadThreshold.Parse(metric, condition));
        Assert.Contains(hint, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_run_carries_each_thresholds_verdict_and_a_metric_not_measured_fails()
    {
        await using var server = Netpoll.Tests.Support.TestServer.Start(new Netpoll.Protocols.EchoHandler());
        LoadResult result = await LoadGenerator.RunAsync(new LoadOptions
        {
            Target = server.EndPoint,
            Connections = 2,
            Requests = 200,
            Duration = TimeSpan.FromSeconds(30),
            Thresholds = [LoadThreshold.Parse("LatencyP99", "10s"), LoadThreshold.Parse("Requests", ">= 201"), LoadThreshold.Parse("ScheduleLagMax", "1s")],
        });

        Assert.Equal([true, false, false], result.Thresholds.Select(t => t.Passed));
        Assert.Equal("200", result.Thresholds[1].ActualText);
        Assert.Equal("not measured", result.Thresholds[2].ActualText); // a closed loop has no schedule
        Assert.False(result.ThresholdsPassed);
    }

    [Fact]
    public void A_threshold_shows_a_latency_rounded_as_the_list_view_shows_it()
    {
        // 1.2185 ms is 1.21849999... as a double: the list view ('{0:N3}' -f) shows 1.218, and so must the thresholds line.
        LoadMetric p99 = LoadMetric.Find("LatencyP99")!;
        Assert.Equal("1.218", string.Format(CultureInfo.InvariantCulture, "{0:N3}", 1.2185));
        Assert.Equal("1.218 ms", p99.Format(1.2185));
        Assert.Equal("3.2 ms", p99.Format(3.2));
        Assert.Equal("0 ms", p99.Format(-0.0001));

        // Any latency the histograms give (whole nanoseconds, as milliseconds): the same number as the list view's.
        Gen.Long[0, 10_000_000_000].Sample(ns =>
        {
            double ms = ns / 1e6;
            string shown = p99.Format(ms);
            Assert.Equal(decimal.Parse(ms.ToString("N3", CultureInfo.InvariantCulture), NumberStyles.Number, CultureInfo.InvariantCulture), decimal.Parse(shown[..^3], CultureInfo.InvariantCulture));
        }, iter: 20_000);
    }
}
