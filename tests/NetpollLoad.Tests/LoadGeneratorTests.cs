using System.Net;
using Netpoll.Diagnostics;
using Netpoll.Load;
using Netpoll.Protocols;
using Netpoll.Polling;
using Netpoll.Server;
using Netpoll.Tests.Support;

namespace Netpoll.Load.Tests;

public class LoadGeneratorTests
{
    /// <summary>(backend of the server and the generator, pattern, pipeline depth).</summary>
    public static TheoryData<PollerBackendKind, LoadPattern, int> Patterns
    {
        get
        {
            var rows = new TheoryData<PollerBackendKind, LoadPattern, int>();
            foreach (PollerBackendKind backend in BackendMatrix.Kinds)
            {
                rows.Add(backend, LoadPattern.PingPong, 1);
                rows.Add(backend, LoadPattern.Pipelined, 8);
            }

            return rows;
        }
    }

    [Theory]
    [MemberData(nameof(Patterns))]
    public async Task Echo_load_counts_match_the_servers_counters(PollerBackendKind backend, LoadPattern pattern, int pipeline)
    {
        await using var server = TestServer.Start(new Netpoll.Protocols.EchoHandler(), BackendMatrix.Server(backend));
        var progress = new List<LoadProgress>();
        LoadResult result = await LoadGenerator.RunAsync(
            new LoadOptions { Backend = backend, Target = server.EndPoint, Connections = 20, Requests = 4000, Duration = TimeSpan.FromSeconds(30), MessageSize = 512, Pattern = pattern, Pipeline = pipeline, ProgressInterval = TimeSpan.FromMilliseconds(50) },
            p => { lock (progress) { progress.Add(p); } });

        Assert.Equal("Requests", result.StopReason);
        Assert.Equal(4000, result.Requests);
        Assert.Equal(0, result.Errors);
        Assert.Equal(20, result.ConnectionsOpened);
        Assert.Equal(backend, result.Backend); // the result says what the generator ran on, and why
        Assert.Contains("asked for", result.BackendReason, StringComparison.Ordinal);
        await TestServer.Eventually(() => server.Loop.ConnectionCount == 0, "the generator closed its connections");
        IReadOnlyList<PollerStats> stats = server.Loop.GetStats();
        Assert.Equal(20, stats.Sum(s => s.Accepted));
        Assert.Equal(result.BytesSent, stats.Sum(s => s.BytesIn));
        Assert.Equal(result.BytesReceived, stats.Sum(s => s.BytesOut));
        Assert.Equal(4000L * 512, result.BytesReceived);
        Assert.True(result.LatencyP50 <= result.LatencyP99 && result.LatencyP99 <= result.LatencyMax);
        Assert.Equal(result.LatencyHistogram, result.ServiceTimeHistogram); // a closed loop sends each request when it is due
        lock (progress)
        {
            Assert.NotEmpty(progress);
            Assert.Equal(4000, progress[^1].Requests);
        }
    }

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task Latency_percentiles_reflect_a_known_server_delay(PollerBackendKind backend)
    {
        await using var server = TestServer.Start(async c =>
        {
            int n = c.Reader.Length;
            await Task.Delay(25);
            c.Writer.WriteBinary(c.Reader.Next(n).Span);
            await c.Writer.FlushAsync();
        }, BackendMatrix.Server(backend));
        LoadResult result = await LoadGenerator.RunAsync(new LoadOptions { Backend = backend, Target = server.EndPoint, Connections = 4, Requests = 80, Duration = TimeSpan.FromSeconds(30), MessageSize = 16 });
        Assert.Equal(80, result.Requests);
        Assert.InRange(result.LatencyP50Ms!.Value, 24, 1000); // upper bound only catches nonsense: the machine may be loaded
        Assert.InRange(result.LatencyP99Ms!.Value, 24, 3000);
        Assert.True(result.LatencyMax >= result.LatencyP99);
    }

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task Http_load_against_the_http_protocol_completes_every_request(PollerBackendKind backend)
    {
        await using var server = TestServer.Start(new HttpHandler(), BackendMatrix.Server(backend));
        LoadResult result = await LoadGenerator.RunAsync(new LoadOptions { Backend = backend, Target = server.EndPoint, Connections = 10, Requests = 2000, Duration = TimeSpan.FromSeconds(30), Pattern = LoadPattern.Http, Pipeline = 4 });
        Assert.Equal(2000, result.Requests);
        Assert.Equal(0, result.Errors);
    }

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task An_idle_test_holds_its_connections_for_the_duration(PollerBackendKind backend)
    {
        await using var server = TestServer.Start(new DiscardHandler(), BackendMatrix.Server(backend));
        Task<LoadResult> running = LoadGenerator.RunAsync(new LoadOptions { Backend = backend, Target = server.EndPoint, Connections = 200, Duration = TimeSpan.FromSeconds(1.5), Pattern = LoadPattern.Idle });
        await TestServer.Eventually(() => server.Loop.ConnectionCount == 200, "all 200 idle connections are open");
        LoadResult result = await running;
        Assert.Equal("Duration", result.StopReason);
        Assert.Equal(200, result.PeakConnections);
        Assert.Equal(0, result.Requests);
        Assert.Equal(0, server.Loop.GetStats().Sum(s => s.BufferBytes));
    }

    public static TheoryData<PollerBackendKind, LoadPattern> BackendsAndPatterns()
    {
        var data = new TheoryData<PollerBackendKind, LoadPattern>();
        foreach (PollerBackendKind backend in BackendMatrix.Backends)
        {
            data.Add(backend, LoadPattern.PingPong);
            data.Add(backend, LoadPattern.Idle);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(BackendsAndPatterns))]
    public async Task Connections_to_a_closed_port_are_counted_as_refused_and_end_the_run(PollerBackendKind backend, LoadPattern pattern)
    {
        int port;
        using (var probe = NetpollListener.Create(0))
        {
            port = ((IPEndPoint)probe.LocalEndPoint).Port;
        }

        LoadResult result = await LoadGenerator.RunAsync(new LoadOptions { Backend = backend, Target = new IPEndPoint(IPAddress.Loopback, port), Connections = 5, Duration = TimeSpan.FromSeconds(30), Pattern = pattern });
        Assert.Equal(5, result.ConnectFailures);
        Assert.Equal(5, result.ErrorsByKind[LoadErrorKind.Refused]);
        Assert.Equal("NoConnections", result.StopReason); // not "Duration": a target that is down ends the run, not its 30 s
    }

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task A_server_that_resets_is_reported_by_cause_for_the_whole_duration_without_spinning(PollerBackendKind backend)
    {
        await using var server = TestServer.Start(c => { c.Abort(); return default; }, BackendMatrix.Server(backend));
        LoadResult result = await LoadGenerator.RunAsync(new LoadOptions { Backend = backend, Target = server.EndPoint, Connections = 5, Duration = TimeSpan.FromSeconds(2) });
        Assert.Equal("Duration", result.StopReason);
        Assert.Equal(0, result.Requests);
        Assert.Equal(result.Errors, result.ErrorsByKind.Reset + result.ErrorsByKind.ClosedEarly);
        Assert.Equal(result.Errors, result.RequestsFailed); // each error ended one request, counted together even as the run stops

        // Every reset connection is replaced, after its slot's back-off: more than once each, and never a tight loop.
        Assert.InRange(result.ConnectionsReopened, 5, 5 * ReconnectBound.PerSlot(result.Elapsed));
        Assert.InRange(result.Errors, result.ConnectionsReopened, result.ConnectionsReopened + 5);
    }

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task Cancellation_stops_the_test_and_returns_what_ran(PollerBackendKind backend)
    {
        await using var server = TestServer.Start(new Netpoll.Protocols.EchoHandler(), BackendMatrix.Server(backend));
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        LoadResult result = await LoadGenerator.RunAsync(
            new LoadOptions { Backend = backend, Target = server.EndPoint, Connections = 4, Duration = TimeSpan.FromMinutes(5), ProgressInterval = TimeSpan.FromMilliseconds(50) },
            p => { if (p.Requests > 0) { cts.Cancel(); } }, // cancel once something ran
            cts.Token);
        Assert.Equal("Canceled", result.StopReason);
        Assert.True(result.Requests > 0);
        Assert.True(result.Elapsed < TimeSpan.FromSeconds(30));
        Assert.Equal(result.Requests, result.Timeline[^1].Requests);
    }

    [Fact]
    public async Task Unbounded_or_invalid_options_are_rejected_with_what_is_allowed()
    {
        var target = new IPEndPoint(IPAddress.Loopback, 1);
        var ex = await Assert.ThrowsAsync<ArgumentException>(() => LoadGenerator.RunAsync(new LoadOptions { Target = target, Duration = null }));
        Assert.Contains("Bound the test", ex.Message, StringComparison.Ordinal);
        var range = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => LoadGenerator.RunAsync(new LoadOptions { Target = target, Connections = 0 }));
        Assert.Contains("between 1 and 1,000,000", range.Message, StringComparison.Ordinal);
        foreach (TimeSpan connectTimeout in new[] { TimeSpan.Zero, TimeSpan.FromSeconds(-1), TimeSpan.FromDays(2) })
        {
            // Zero would be the dialer's "no limit": a connect to a firewalled address would then hang its slot for good.
            var timeout = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => LoadGenerator.RunAsync(new LoadOptions { Target = target, ConnectTimeout = connectTimeout }));
            Assert.Equal(nameof(LoadOptions.ConnectTimeout), timeout.ParamName);
            Assert.Contains("positive and at most one day", timeout.Message, StringComparison.Ordinal);
        }
    }
}
