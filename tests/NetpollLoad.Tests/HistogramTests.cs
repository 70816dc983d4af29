using HdrHistogram;
using Netpoll.Tests.Support;

namespace Netpoll.Load.Tests;

/// <summary>HdrHistogram in and out: the interval log other tools read, and the encoded histograms a result carries.</summary>
public sealed class HistogramTests : IDisposable
{
    private readonly string _log = Path.Combine(Path.GetTempPath(), $"netpoll-{Guid.NewGuid():N}.hlog");

    public void Dispose() => File.Delete(_log);

    [Fact]
    public async Task The_interval_log_reads_back_with_hdrhistograms_own_reader_and_holds_every_request()
    {
        await using var server = TestServer.Start(new Netpoll.Protocols.EchoHandler());
        LoadResult result = await LoadGenerator.RunAsync(new LoadOptions
        {
            Target = server.EndPoint,
            Connections = 4,
            Rate = 1000,
            Duration = TimeSpan.FromSeconds(1.5),
            MessageSize = 32,
            ProgressInterval = TimeSpan.FromMilliseconds(250),
            HistogramLogPath = _log,
        });

        Assert.Equal(Path.GetFullPath(_log), result.HistogramPath);
        using FileStream stream = File.OpenRead(_log);
        using var reader = new HistogramLogReader(stream);
        HistogramBase[] intervals = [.. reader.ReadHistograms()];
        long latency = intervals.Where(h => string.IsNullOrEmpty(h.Tag)).Sum(h => h.TotalCount);
        long service = intervals.Where(h => h.Tag == "service-time").Sum(h => h.TotalCount);
        Assert.Equal(result.Requests, latency);
        Assert.Equal(result.Requests, service);
        Assert.True(intervals.Length >= 4, $"{intervals.Length} intervals"); // two of each tag at least; a loaded machine delays the ticks
    }

    [Fact]
    public async Task Merged_results_take_their_percentiles_from_the_merged_histograms()
    {
        await using var server = TestServer.Start(new Netpoll.Protocols.EchoHandler());
        LoadOptions options = new() { Target = server.EndPoint, Connections = 2, Requests = 300, Duration = TimeSpan.FromSeconds(30) };
        LoadResult[] results = await Task.WhenAll(LoadGenerator.RunAsync(options), LoadGenerator.RunAsync(options));

        LoadResult merged = LoadResult.Merge(results);

        Assert.Equal(600, merged.Requests);
        Assert.Equal(merged.LatencyP99, LoadResult.Percentile(merged.LatencyHistogram, 99));
        Assert.True(merged.LatencyMax == results.Max(r => r.LatencyMax));
    }

    [Fact]
    public void A_histogram_that_is_not_one_is_refused_with_why()
    {
        Assert.Throws<FormatException>(() => LoadResult.Percentile("bm90IGEgaGlzdG9ncmFt", 99));
        Assert.Null(LoadResult.Percentile(null, 99));
    }
}
