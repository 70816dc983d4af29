using HdrHistogram;

namespace Netpoll.Load.Tests.Http;

/// <summary>
/// The stall experiment, in a collection of its own that runs alone: a machine loaded by the other tests
/// slows every request, and this test tells a one-second stall from that noise by where the wait is counted.
/// </summary>
[Collection(nameof(StallTests))]
[CollectionDefinition(nameof(StallTests), DisableParallelization = true)]
public class StallTests
{
    private static readonly TimeSpan Waited = TimeSpan.FromMilliseconds(500);

    [Fact]
    public async Task A_one_second_stall_shows_in_the_corrected_p99_of_a_fixed_rate_test_and_not_in_the_service_time()
    {
        await using KestrelTarget kestrel = await KestrelTarget.StartAsync();

        // 100/s on one connection for 4 s: ~100 requests fall due during the stall and wait for the connection (their
        // corrected latency holds the wait), but only the one in flight when it began waits in the server (its service time).
        LoadResult result = await LoadGenerator.RunAsync(new LoadOptions
        {
            Target = new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, kestrel.Origin.Port),
            Pattern = LoadPattern.Http,
            HttpRequests = [new LoadHttpRequest { Uri = kestrel.Path("/stall") }],
            Connections = 1,
            Rate = 100,
            Duration = TimeSpan.FromSeconds(4),
            ProgressInterval = TimeSpan.FromMilliseconds(100),
        });

        // What it asserts is where requests and their waits are counted, not how many a machine answers in 4 s (a loaded
        // one answered fewer than 200 of the 400): the schedule is kept, and every request due is answered, in flight at
        // the stop or not sent; none is lost, none fails, none times out.
        Assert.Equal(100, result.TargetRate);
        Assert.InRange(result.RequestsScheduled!.Value, 396, 401);
        Assert.True(result.Errors == 0, $"errors: {result.ErrorsByKind}");
        Assert.Equal(0, result.RequestsFailed);
        ShortKeepAliveRateTests.AssertScheduleAccounted(result);

        // The stall is seen: the request in flight waited in the server, and the schedule fell behind while it did.
        Assert.True(result.ServiceTimeMax >= Waited, $"service-time max {result.ServiceTimeMaxMs} ms: the request in flight waited");
        Assert.True(result.ScheduleLagMax >= Waited, $"the schedule fell {result.ScheduleLagMaxMs} ms behind");
        Assert.Contains(result.Timeline, s => s.ScheduleLag >= Waited);

        // The requests that fell due during it waited for the connection, not in the server: their corrected latency holds
        // the wait and their service time does not. Counting corrected latency from the send, or service time from when
        // the request was due, makes the two counts equal; at any speed the first request due in the stall is answered
        // after it, so the corrected count is the larger.
        long slowLatency = CountAtLeast(result.LatencyHistogram, Waited);
        long slowService = CountAtLeast(result.ServiceTimeHistogram, Waited);
        string counts = $"{slowLatency} corrected latencies and {slowService} service times of {Waited.TotalMilliseconds} ms or more in {result.Requests} answered";
        Assert.True(slowService >= 1 && slowLatency > slowService, counts);

        // The percentile a user reads says so: the stall's requests are far more than 1 % of those answered.
        Assert.True(result.LatencyP99 >= Waited, $"corrected p99 {result.LatencyP99Ms} ms; {counts}");
    }

    /// <summary>How many recorded values of an encoded histogram are at least <paramref name="value"/>.</summary>
    private static long CountAtLeast(string? histogram, TimeSpan value)
    {
        HistogramBase decoded = HistogramCodec.Decode(histogram ?? throw new ArgumentNullException(nameof(histogram), "nothing was measured"));
        long nanoseconds = (long)value.TotalNanoseconds;
        return decoded.RecordedValues().Where(v => v.ValueIteratedTo >= nanoseconds).Sum(v => v.CountAddedInThisIterationStep);
    }
}
