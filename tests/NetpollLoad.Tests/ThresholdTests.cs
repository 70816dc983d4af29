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
}
