using Netpoll.Tests.Support;

namespace Netpoll.Load.Tests;

/// <summary>Open-model load: the schedule holds whatever the server does, and a server that cannot keep up shows as lag.</summary>
public class FixedRateTests
{
    [Fact]
    public async Task Stages_ramp_the_rate_and_the_schedule_is_their_integral()
    {
        await using var server = TestServer.Start(new Netpoll.Protocols.EchoHandler());

        // 0 → 400/s over 1 s (200 due), then 400/s for 1 s (400 due): 600 in all.
        LoadResult result = await LoadGenerator.RunAsync(new LoadOptions
        {
            Target = server.EndPoint,
            Connections = 8,
            MessageSize = 64,
            Duration = null,
            Stages = [new LoadStage(TimeSpan.FromSeconds(1), 400), new LoadStage(TimeSpan.FromSeconds(1), 400)],
            ProgressInterval = TimeSpan.FromMilliseconds(100),
        });

        Assert.Equal("Duration", result.StopReason);
        Assert.Equal(400, result.TargetRate);
        Assert.InRange(result.RequestsScheduled!.Value, 590, 601);
        // Every request due is sent or not sent, and every one sent is completed, failed or in flight at the stop; nothing
        // is sent after the end (at most what was due is), and the last 2 ms of the schedule may not be counted not sent.
        long accounted = result.Requests + result.RequestsFailed + result.RequestsInFlightAtStop + result.RequestsNotSent;
        Assert.InRange(accounted, result.RequestsScheduled.Value - 2, result.RequestsScheduled.Value);
        Assert.Equal(0, result.Errors);
        Assert.NotNull(result.ScheduleLagMax);
        Assert.True(result.Timeline.Count >= 10);
        Assert.All(result.Timeline, s => Assert.NotNull(s.TargetRate));
    }

    [Fact]
    public async Task A_server_that_cannot_keep_up_leaves_requests_not_sent_and_the_schedule_behind()
    {
        // Each reply takes 100 ms; two connections serve 20/s of the 100/s asked for.
        await using var server = TestServer.Start(async c =>
        {
            int n = c.Reader.Length;
            await Task.Delay(100);
            c.Writer.WriteBinary(c.Reader.Next(n).Span);
            await c.Writer.FlushAsync();
        });
        LoadResult result = await LoadGenerator.RunAsync(new LoadOptions { Target = server.EndPoint, Connections = 2, MessageSize = 16, Rate = 100, Duration = TimeSpan.FromSeconds(2) });

        Assert.InRange(result.RequestsScheduled!.Value, 190, 201);
        Assert.True(result.Requests < 60, $"{result.Requests} completed");
        Assert.True(result.RequestsNotSent > 100, $"{result.RequestsNotSent} not sent");
        Assert.True(result.ScheduleLagFinal >= TimeSpan.FromSeconds(1), $"final lag {result.ScheduleLagFinalMs} ms");

        // Latency counts from when each request was due, so it grows with the lag; service time stays near 100 ms.
        Assert.True(result.LatencyMax >= TimeSpan.FromSeconds(1), $"latency max {result.LatencyMaxMs} ms");
        Assert.True(result.ServiceTimeP50 < TimeSpan.FromMilliseconds(600), $"service p50 {result.ServiceTimeP50Ms} ms");
    }

    [Theory]
    [InlineData(-1.0)]
    [InlineData(double.NaN)]
    [InlineData(LoadOptions.MaxRate + 1)]
    public void A_rate_outside_what_is_allowed_is_refused_naming_it(double rate)
    {
        var options = new LoadOptions { Target = new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 1), Rate = rate };
        ArgumentException error = Assert.ThrowsAny<ArgumentException>(options.Validate);
        Assert.Equal(nameof(LoadOptions.Rate), error.ParamName);
    }

    [Fact]
    public void Stages_with_a_duration_are_refused_they_set_it()
    {
        var options = new LoadOptions { Target = new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 1), Stages = [new LoadStage(TimeSpan.FromSeconds(1), 10)] };
        ArgumentException error = Assert.ThrowsAny<ArgumentException>(options.Validate);
        Assert.Contains("leave Duration null", error.Message, StringComparison.Ordinal);
    }
}
