using CsCheck;
using HdrHistogram;
using Netpoll.Polling;
using Netpoll.Tests.Support;

namespace Netpoll.Load.Tests;

/// <summary>What load fanned out over several nodes relies on: a common start, merged percentiles that are those of every request, parts kept by name, one wall-clock timeline.</summary>
public sealed class DistributedLoadTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 30, 8, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Merged_percentiles_are_those_of_one_histogram_of_every_request()
    {
        var random = new Random(18);
        long[] values = [.. Enumerable.Range(0, 30_000).Select(_ => (long)(1_000 + (random.NextDouble() * random.NextDouble() * 50_000_000)))];
        HistogramBase single = LatencyRecorder.NewHistogram();
        HistogramBase[] thirds = [LatencyRecorder.NewHistogram(), LatencyRecorder.NewHistogram(), LatencyRecorder.NewHistogram()];
        for (int i = 0; i < values.Length; i++)
        {
            single.RecordValue(values[i]);
            thirds[i % 3].RecordValue(values[i]);
        }

        LoadResult whole = Unmeasured("single", Start, values.Length, []).WithHistograms(single, single, single);
        LoadResult merged = LoadResult.Merge(thirds.Select((h, i) => Unmeasured($"node{i}", Start, values.Length / 3, []).WithHistograms(h, h, h)));

        Assert.Equal(values.Length, merged.Requests);
        foreach (double percentile in new[] { 50, 90, 99, 99.9, 99.99, 100 })
        {
            Assert.Equal(LoadResult.Percentile(whole.LatencyHistogram, percentile), LoadResult.Percentile(merged.LatencyHistogram, percentile));
        }

        Assert.Equal(whole.LatencyP99, merged.LatencyP99);
        Assert.Equal(whole.ServiceTimeP999, merged.ServiceTimeP999);
        Assert.Equal(whole.LatencyMax, merged.LatencyMax);
        Assert.Equal(whole.LatencyMean, merged.LatencyMean);
    }

    [Fact]
    public void A_merged_result_keeps_each_part_by_its_tag()
    {
        LoadResult merged = LoadResult.Merge([Result("east", Start, 10, []), Result("west", Start, 20, [])]);

        Assert.Equal(["east", "west"], merged.Nodes.Select(n => n.Tag));
        Assert.Equal([10L, 20L], merged.Nodes.Select(n => n.Requests));
        Assert.Null(merged.Tag);
    }

    [Fact]
    public void A_merged_result_names_its_backend_only_when_every_part_ran_on_it()
    {
        LoadResult OnBackend(string tag, PollerBackendKind backend, string reason) => Result(tag, Start, 10, []) with { Backend = backend, BackendReason = reason };
        LoadResult same = LoadResult.Merge([OnBackend("east", PollerBackendKind.IoUring, "io_uring: asked for."), OnBackend("west", PollerBackendKind.IoUring, "io_uring: asked for.")]);
        Assert.Equal(PollerBackendKind.IoUring, same.Backend);
        Assert.Equal("io_uring: asked for.", same.BackendReason);

        LoadResult mixed = LoadResult.Merge([OnBackend("east", PollerBackendKind.IoUring, "io_uring: asked for."), OnBackend("west", PollerBackendKind.Epoll, "epoll: io_uring was asked for but is unavailable (Denied: seccomp).")]);
        Assert.Null(mixed.Backend);
        Assert.Equal("io_uring: asked for.; epoll: io_uring was asked for but is unavailable (Denied: seccomp).", mixed.BackendReason);
    }

    [Fact]
    public void The_merged_timeline_puts_every_part_on_one_wall_clock_one_sample_a_second()
    {
        // a: from 0 s, 100 requests a second for 3 s. b: starts 1 s later, 50 a second for 2 s.
        LoadResult a = Result("a", Start, 300, [Sample(1, 10, 100), Sample(2, 10, 200), Sample(3, 10, 300, p99: 5)]);
        LoadResult b = Result("b", Start.AddSeconds(1), 100, [Sample(1, 4, 50, p99: 9), Sample(2, 4, 100)]);

        LoadTimeline timeline = LoadResult.Merge([b, a]).Timeline;

        Assert.Equal([1d, 2d, 3d], timeline.Select(s => s.Elapsed.TotalSeconds));
        Assert.Equal([100L, 250L, 400L], timeline.Select(s => s.Requests));
        Assert.Equal([100d, 150d, 150d], timeline.Select(s => Math.Round(s.RequestsPerSecond)));
        Assert.Equal([10, 14, 14], timeline.Select(s => s.ConnectionsOpen));
        Assert.Equal([null, TimeSpan.FromMilliseconds(9), TimeSpan.FromMilliseconds(5)], timeline.Select(s => s.LatencyP99));
        Assert.All(timeline, s => Assert.Equal(14, s.ConnectionsTarget));
    }

    [Fact]
    public void A_part_that_ended_early_counts_its_final_requests_and_no_open_connections()
    {
        LoadResult longer = Result("longer", Start, 300, [Sample(1, 10, 100), Sample(2, 10, 200), Sample(3, 10, 300)]);
        LoadResult shorter = Result("shorter", Start, 70, [Sample(0.5, 5, 40), Sample(1.2, 5, 70)]);

        LoadTimeline timeline = LoadResult.Merge([longer, shorter]).Timeline;

        // shorter made 30 requests from 0.5 s to 1.2 s: 0.5 s of them, 21.4, fall in the first second.
        Assert.Equal([161L, 270L, 370L], timeline.Select(s => s.Requests));
        Assert.Equal([161d, 109d, 100d], timeline.Select(s => Math.Round(s.RequestsPerSecond)));
        Assert.Equal([15, 10, 10], timeline.Select(s => s.ConnectionsOpen));
    }

    [Fact]
    public void A_short_last_second_shows_the_rate_made_in_it_not_the_requests_of_the_part_samples_before_it()
    {
        // Two parts started together (Start-ThreadJob with one -StartAt), 29,000 requests a second each, sampled every
        // 0.5 s on their own clocks and ending at 2.03 s. Holding each at its sample before 2 s (1.52 s) put 0.51 s of
        // their requests into the last 0.03 s: 1,000,000 requests a second where both made 58,000.
        LoadProgress[] every500ms = [Sample(0.52, 10, 15_080), Sample(1.02, 10, 29_580), Sample(1.52, 10, 44_080), Sample(2.03, 10, 58_870)];
        LoadResult a = Result("a", Start, 58_870, every500ms);
        LoadResult b = Result("b", Start, 58_870, every500ms);

        LoadResult merged = LoadResult.Merge([a, b]);

        Assert.Equal([1d, 2d, 2.03d], merged.Timeline.Select(s => Math.Round(s.Elapsed.TotalSeconds, 2)));
        Assert.All(merged.Timeline, s => Assert.InRange(s.RequestsPerSecond, 57_999, 58_001));
        Assert.Equal(merged.Requests, merged.Timeline[^1].Requests);
    }

    [Fact]
    public void Merged_samples_add_up_to_the_total_and_no_rate_exceeds_the_parts_peaks_together()
    {
        // Parts of 1 to 8 samples, 10 ms to 1.5 s apart (ms resolution), 0 to 50,000 requests each interval, starting
        // up to 3 s apart: however their clocks fall, the merged samples count every request once, in the window it was
        // made in, so no window's rate is above what the parts did at their fastest together.
        Gen<(int StartMs, (int GapMs, int Requests)[] Intervals)> part = Gen.Select(Gen.Int[0, 3000], Gen.Select(Gen.Int[10, 1500], Gen.Int[0, 50_000]).Array[1, 8]);
        part.Array[1, 4].Sample(parts =>
        {
            LoadResult[] results = [.. parts.Select((p, i) => TimedPart($"p{i}", p.StartMs, p.Intervals))];
            double peaks = parts.Sum(p => p.Intervals.Max(x => x.Requests / (x.GapMs / 1000.0)));

            LoadResult merged = LoadResult.Merge(results);

            LoadTimeline timeline = merged.Timeline;
            Assert.Equal(merged.Requests, timeline[^1].Requests);
            Assert.Equal(merged.Requests, timeline.Select((s, i) => s.Requests - (i == 0 ? 0 : timeline[i - 1].Requests)).Sum());
            double made = timeline.Select((s, i) => s.RequestsPerSecond * (s.Elapsed - (i == 0 ? TimeSpan.Zero : timeline[i - 1].Elapsed)).TotalSeconds).Sum();
            Assert.InRange(made, merged.Requests - 0.5, merged.Requests + 0.5);
            Assert.All(timeline, s => Assert.True(s.RequestsPerSecond <= (peaks * (1 + 1e-9)) + 1e-6, $"{s.RequestsPerSecond:F1}/s at {s.Elapsed.TotalSeconds:F3} s, above the parts' peaks together ({peaks:F1}/s)"));
        },
        iter: 500,
        print: parts => string.Join(" | ", parts.Select(p => $"start {p.StartMs} ms: " + string.Join(", ", p.Intervals.Select(x => $"+{x.GapMs} ms {x.Requests}")))));
    }

    [Fact]
    public void The_last_sample_shows_the_connections_of_parts_that_ended_moments_before_the_last()
    {
        LoadResult a = Result("a", Start, 200, [Sample(1, 10, 100), Sample(2, 10, 200)]);
        LoadResult b = Result("b", Start, 200, [Sample(1, 10, 100), Sample(1.999, 10, 200)]);

        LoadTimeline timeline = LoadResult.Merge([a, b]).Timeline;

        Assert.Equal([20, 20], timeline.Select(s => s.ConnectionsOpen));
        Assert.Equal([200L, 400L], timeline.Select(s => s.Requests));
    }

    [Fact]
    public void StartAt_in_the_past_or_more_than_an_hour_ahead_is_refused_with_how_far_off_it_is()
    {
        DateTimeOffset now = DateTimeOffset.UtcNow;
        var past = Assert.Throws<ArgumentOutOfRangeException>(() => LoadOptions.ValidateStartAt(now.AddSeconds(-3), now));
        Assert.Contains("3 s in the past", past.Message, StringComparison.Ordinal);
        var far = Assert.Throws<ArgumentOutOfRangeException>(() => LoadOptions.ValidateStartAt(now.AddHours(2), now));
        Assert.Contains("120 min ahead", far.Message, StringComparison.Ordinal);
        LoadOptions.ValidateStartAt(now.AddMinutes(59), now);
        LoadOptions.ValidateStartAt(null, now);
    }

    [Fact]
    public async Task With_StartAt_connections_open_first_and_requests_begin_at_it()
    {
        await using var server = TestServer.Start(new Netpoll.Protocols.EchoHandler());
        DateTimeOffset startAt = DateTimeOffset.UtcNow.AddSeconds(1.5);
        var samples = new List<LoadProgress>();
        LoadResult result = await LoadGenerator.RunAsync(
            new LoadOptions { Target = server.EndPoint, Connections = 4, Duration = TimeSpan.FromSeconds(1), MessageSize = 64, StartAt = startAt, ProgressInterval = TimeSpan.FromMilliseconds(200) },
            p => { lock (samples) { samples.Add(p); } });
        DateTimeOffset ended = DateTimeOffset.UtcNow;

        Assert.Equal(startAt, result.StartTime);
        Assert.True(ended >= startAt + TimeSpan.FromSeconds(1), $"ended {ended:o}, before the start {startAt:o} plus the duration");
        Assert.True(result.Requests > 0);
        Assert.Equal(4, result.ConnectionsOpened);
        Assert.Equal("Duration", result.StopReason);
        Assert.All(samples, s => Assert.True(s.Elapsed >= TimeSpan.Zero, $"a sample at {s.Elapsed} before the start"));

        // Every connection was open when the first requests went out: the first sample shows them all.
        Assert.Equal(4, samples[0].ConnectionsOpen);
    }

    [Fact]
    public async Task A_fixed_rate_schedule_begins_at_StartAt()
    {
        await using var server = TestServer.Start(new Netpoll.Protocols.EchoHandler());
        DateTimeOffset startAt = DateTimeOffset.UtcNow.AddSeconds(1);
        LoadResult result = await LoadGenerator.RunAsync(new LoadOptions
        {
            Target = server.EndPoint,
            Connections = 2,
            Rate = 200,
            Duration = TimeSpan.FromSeconds(1),
            MessageSize = 32,
            StartAt = startAt,
        });

        // A schedule that began when the test was called would have made ~400 requests due by the end (the
        // second of waiting and the second of the test), and its lag would say nothing a loaded machine can't.
        Assert.Equal(startAt, result.StartTime);
        Assert.InRange(result.RequestsScheduled ?? 0, 150, 250);
    }

    /// <summary>A part starting <paramref name="startMs"/> after <see cref="Start"/>, sampled after each interval's gap with the requests made in it.</summary>
    private static LoadResult TimedPart(string tag, int startMs, (int GapMs, int Requests)[] intervals)
    {
        var samples = new List<LoadProgress>();
        int atMs = 0;
        long requests = 0;
        foreach ((int gapMs, int made) in intervals)
        {
            atMs += gapMs;
            requests += made;
            samples.Add(new LoadProgress(TimeSpan.FromMilliseconds(atMs), 1, 1, requests, made / (gapMs / 1000.0), 0, null));
        }

        return Result(tag, Start.AddMilliseconds(startMs), requests, [.. samples]);
    }

    private static LoadProgress Sample(double seconds, int open, long requests, double? p99 = null) =>
        new(TimeSpan.FromSeconds(seconds), open, open, requests, 0, 0, null, null, p99 is { } ms ? TimeSpan.FromMilliseconds(ms) : null);

    /// <summary>A result of <paramref name="requests"/> requests of 1 ms each.</summary>
    private static LoadResult Result(string tag, DateTimeOffset start, long requests, LoadProgress[] timeline)
    {
        HistogramBase latency = LatencyRecorder.NewHistogram();
        latency.RecordValueWithCount(1_000_000, requests);
        return Unmeasured(tag, start, requests, timeline).WithHistograms(latency, latency, latency);
    }

    private static LoadResult Unmeasured(string tag, DateTimeOffset start, long requests, LoadProgress[] timeline) => new()
    {
        Pattern = LoadPattern.PingPong,
        Target = "127.0.0.1:1",
        StartTime = start,
        ConnectionsRequested = timeline.Length > 0 ? timeline[0].ConnectionsTarget : 1,
        ConnectionsOpened = 1,
        PeakConnections = 1,
        ConnectFailures = 0,
        Requests = requests,
        RequestsFailed = 0,
        BytesSent = 0,
        BytesReceived = 0,
        Elapsed = timeline.Length > 0 ? timeline[^1].Elapsed : TimeSpan.FromSeconds(1),
        RequestsPerSecond = requests,
        ThroughputBytesPerSecond = 0,
        LatencyMean = null,
        LatencyP50 = null,
        LatencyP90 = null,
        LatencyP99 = null,
        LatencyP999 = null,
        LatencyMax = null,
        ConnectP50 = null,
        ConnectP99 = null,
        ConnectMax = null,
        ErrorsByKind = LoadErrors.None,
        StopReason = "Duration",
        Timeline = new LoadTimeline(timeline),
        Tag = tag,
    };
}
