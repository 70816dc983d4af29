using System.Net;
using Netpoll.Polling;
using Netpoll.Tests.Support;

namespace Netpoll.Load.Tests.Http;

/// <summary>The generator against Kestrel, on every backend its client runs on: every response shape a real server sends is read in full and counted.</summary>
public class KestrelLoadTests
{
    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task Chunked_close_500_and_bodies_larger_than_a_buffer_are_read_in_full_and_counted_by_status(PollerBackendKind backend)
    {
        await using KestrelTarget kestrel = await KestrelTarget.StartAsync();
        string[] paths = ["/", "/chunked", "/close", "/error", "/big"];

        // One connection, so the round robin is exact: 20 of each.
        LoadResult result = await LoadGenerator.RunAsync(Options(backend, kestrel, 1, 100, [.. paths.Select(p => new LoadHttpRequest { Uri = kestrel.Path(p) })]));

        Assert.Equal("Requests", result.StopReason);
        Assert.Equal(100, result.Requests);
        Assert.Equal(0, result.Errors);
        Assert.Equal(80, result.StatusCodes[200]);
        Assert.Equal(20, result.StatusCodes[500]);
        Assert.Equal(80, result.Status2xx);
        Assert.Equal(20, result.Status5xx);
        Assert.Equal(0.2, result.ErrorRate!.Value, 3);

        // Each Connection: close is followed by a new connection (the last one may end the run first).
        Assert.InRange(result.ConnectionsReopened, 19, 20);
        Assert.Equal(1 + result.ConnectionsReopened, result.ConnectionsOpened);
        Assert.True(result.BytesReceived > 20L * KestrelTarget.BigBodyBytes, $"{result.BytesReceived} bytes received");
        Assert.True(result.BytesSent >= 100 * "GET / HTTP/1.1\r\n".Length);
    }

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task Slow_responses_show_in_latency_and_service_time(PollerBackendKind backend)
    {
        await using KestrelTarget kestrel = await KestrelTarget.StartAsync();
        LoadResult result = await LoadGenerator.RunAsync(Options(backend, kestrel, 4, 40, [new LoadHttpRequest { Uri = kestrel.Path("/slow") }]));

        Assert.Equal(40, result.StatusCodes[200]);
        Assert.True(result.LatencyP50Ms >= 49, $"p50 {result.LatencyP50Ms} ms");
        Assert.True(result.ServiceTimeP50Ms >= 49, $"service p50 {result.ServiceTimeP50Ms} ms");
    }

    private static LoadOptions Options(PollerBackendKind backend, KestrelTarget kestrel, int connections, long requests, IReadOnlyList<LoadHttpRequest> http) => new()
    {
        Backend = backend,
        Target = EndPointOf(kestrel),
        Pattern = LoadPattern.Http,
        HttpRequests = http,
        Connections = connections,
        Requests = requests,
        Duration = TimeSpan.FromSeconds(60),
    };

    private static IPEndPoint EndPointOf(KestrelTarget kestrel) => new(IPAddress.Loopback, kestrel.Origin.Port);
}
