namespace Netpoll.Load.Tests.Http;

/// <summary>
/// The stall experiment, in a collection of its own that runs alone: a machine loaded by the other tests
/// slows every request, and this test tells a one-second stall from that noise by a percentile.
/// </summary>
[Collection(nameof(StallTests))]
[CollectionDefinition(nameof(StallTests), DisableParallelization = true)]
public class StallTests
{
    [Fact]
    public async Task A_one_second_stall_shows_in_the_corrected_p99_of_a_fixed_rate_test_and_not_in_the_service_time()
    {
        await using KestrelTarget kestrel = await KestrelTarget.StartAsync();

        // 100/s on one connection for 4 s: ~100 requests fall due during the stall (a quarter: the corrected p99
        // shows it), but only the one in flight when it began waits in the server (its service time alone).
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

        Assert.Equal(0, result.Errors);
        Assert.Equal(100, result.TargetRate);
        Assert.True(result.Requests >= 200, $"{result.Requests} requests"); // p99 then leaves out the one that waited
        Assert.True(result.LatencyP99 >= TimeSpan.FromMilliseconds(500), $"corrected p99 {result.LatencyP99Ms} ms");
        Assert.True(result.ServiceTimeP99 < TimeSpan.FromMilliseconds(500), $"service-time p99 {result.ServiceTimeP99Ms} ms");
        Assert.True(result.ServiceTimeMax >= TimeSpan.FromMilliseconds(500), $"service-time max {result.ServiceTimeMaxMs} ms: the request in flight waited");
        Assert.True(result.ScheduleLagMax >= TimeSpan.FromMilliseconds(500), $"the schedule fell {result.ScheduleLagMaxMs} ms behind");
        Assert.Contains(result.Timeline, s => s.ScheduleLag >= TimeSpan.FromMilliseconds(500));
    }
}
