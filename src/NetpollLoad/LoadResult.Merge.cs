using HdrHistogram;

namespace Netpoll.Load;

public sealed partial record LoadResult
{
    /// <summary>
    /// One result for tests that ran at the same time against the same service (from several processes or
    /// machines): counts, bytes and rates add up, latencies come from the merged histograms (so the merged p99
    /// is the p99 of every request, not an average of p99s), the elapsed time and lags are the longest, and the
    /// thresholds of the first result are checked again on the whole. The merged timeline puts the parts'
    /// samples on one wall clock, one sample per second (<see cref="LoadTimelineAlignment"/>), and
    /// <see cref="Nodes"/> keeps each part.
    /// </summary>
    /// <exception cref="ArgumentException">No results, or one that measured latency and carries no histogram to merge.</exception>
    public static LoadResult Merge(IEnumerable<LoadResult> results)
    {
        ArgumentNullException.ThrowIfNull(results);
        LoadResult[] all = [.. results];
        if (all.Length == 0 || all.Any(r => r is null))
        {
            throw new ArgumentException("Give one or more results to merge.", nameof(results));
        }

        HistogramBase latency = Sum(all, r => r.LatencyHistogram, r => r.Requests > 0, nameof(LatencyHistogram));
        HistogramBase service = Sum(all, r => r.ServiceTimeHistogram, r => r.Requests > 0, nameof(ServiceTimeHistogram));
        HistogramBase connect = Sum(all, r => r.ConnectHistogram, r => r.ConnectionsOpened > 0, nameof(ConnectHistogram));
        bool fixedRate = all.Any(r => r.RequestsScheduled is not null);
        TimeSpan elapsed = all.Max(r => r.Elapsed);
        var merged = new LoadResult
        {
            Pattern = all[0].Pattern,
            Target = string.Join(", ", all.Select(r => r.Target).Distinct(StringComparer.Ordinal)),
            StartTime = all.Min(r => r.StartTime),
            ConnectionsRequested = all.Sum(r => r.ConnectionsRequested),
            ConnectionsOpened = all.Sum(r => r.ConnectionsOpened),
            PeakConnections = all.Sum(r => r.PeakConnections),
            ConnectFailures = all.Sum(r => r.ConnectFailures),
            ConnectionsReopened = all.Sum(r => r.ConnectionsReopened),
            AddressFailures = [.. all.SelectMany(r => r.AddressFailures).Distinct(StringComparer.Ordinal)],
            Requests = all.Sum(r => r.Requests),
            RequestsFailed = all.Sum(r => r.RequestsFailed),
            RequestsInFlightAtStop = all.Sum(r => r.RequestsInFlightAtStop),
            RequestsRetried = all.Sum(r => r.RequestsRetried),
            RequestsScheduled = fixedRate ? all.Sum(r => r.RequestsScheduled ?? 0) : null,
            RequestsNotSent = all.Sum(r => r.RequestsNotSent),
            BytesSent = all.Sum(r => r.BytesSent),
            BytesReceived = all.Sum(r => r.BytesReceived),
            Elapsed = elapsed,
            RequestsPerSecond = all.Sum(r => r.RequestsPerSecond),
            ThroughputBytesPerSecond = all.Sum(r => r.ThroughputBytesPerSecond),
            TargetRate = fixedRate ? all.Sum(r => r.TargetRate ?? 0) : null,
            Stages = all[0].Stages,
            ScheduleLagMax = fixedRate ? all.Max(r => r.ScheduleLagMax ?? TimeSpan.Zero) : null,
            ScheduleLagFinal = fixedRate ? all.Max(r => r.ScheduleLagFinal ?? TimeSpan.Zero) : null,
            StatusCodes = new LoadStatusCodes(all.SelectMany(r => r.StatusCodes)),
            ErrorsByKind = LoadErrors.Sum(all.Select(r => r.ErrorsByKind)),
            StopReason = string.Join(", ", all.Select(r => r.StopReason).Distinct(StringComparer.Ordinal)),
            Isolated = all.Any(r => r.Isolated),
            TlsHandshakes = all.Sum(r => r.TlsHandshakes),
            TlsResumedHandshakes = all.Sum(r => r.TlsResumedHandshakes),
            Backend = all.Select(r => r.Backend).Distinct().Count() == 1 ? all[0].Backend : null,
            BackendReason = all.Any(r => r.BackendReason is not null)
                ? string.Join("; ", all.Select(r => r.BackendReason).OfType<string>().Distinct(StringComparer.Ordinal))
                : null,
            CleanupError = all.Any(r => r.CleanupError is not null)
                ? string.Join("; ", all.Select(r => r.CleanupError).OfType<string>().Distinct(StringComparer.Ordinal))
                : null,
            Timeline = LoadTimelineAlignment.Align(all, all.Min(r => r.StartTime)),
            Nodes = all,
        }.WithHistograms(latency, service, connect);
        return merged with { Thresholds = [.. all[0].Thresholds.Select(t => t.Threshold.Evaluate(merged))] };
    }

    /// <summary>
    /// A percentile of an encoded histogram a result carries (<see cref="LatencyHistogram"/>, <see cref="ServiceTimeHistogram"/>,
    /// <see cref="ConnectHistogram"/>), for percentiles the result does not list: <c>[Netpoll.Load.LoadResult]::Percentile($r.LatencyHistogram, 99.99)</c>.
    /// Works on a result that went through CliXml, JSON or remoting, since the histogram is a string. Null for a null histogram (nothing measured).
    /// </summary>
    /// <exception cref="FormatException">Not HdrHistogram's compressed base64 encoding.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The percentile is not between 0 and 100.</exception>
    public static TimeSpan? Percentile(string? histogram, double percentile)
    {
        if (double.IsNaN(percentile) || percentile is < 0 or > 100)
        {
            throw new ArgumentOutOfRangeException(nameof(percentile), percentile, "A percentile is between 0 and 100.");
        }

        return histogram is null ? null : HistogramStatistics.Percentile(HistogramCodec.Decode(histogram), percentile);
    }

    /// <summary>This result with its latency, service-time and connect statistics (and encodings) taken from the histograms.</summary>
    internal LoadResult WithHistograms(HistogramBase latency, HistogramBase serviceTime, HistogramBase connect) => this with
    {
        LatencyMean = HistogramStatistics.Mean(latency),
        LatencyP50 = HistogramStatistics.Percentile(latency, 50),
        LatencyP90 = HistogramStatistics.Percentile(latency, 90),
        LatencyP99 = HistogramStatistics.Percentile(latency, 99),
        LatencyP999 = HistogramStatistics.Percentile(latency, 99.9),
        LatencyMax = HistogramStatistics.Max(latency),
        ServiceTimeMean = HistogramStatistics.Mean(serviceTime),
        ServiceTimeP50 = HistogramStatistics.Percentile(serviceTime, 50),
        ServiceTimeP90 = HistogramStatistics.Percentile(serviceTime, 90),
        ServiceTimeP99 = HistogramStatistics.Percentile(serviceTime, 99),
        ServiceTimeP999 = HistogramStatistics.Percentile(serviceTime, 99.9),
        ServiceTimeMax = HistogramStatistics.Max(serviceTime),
        ConnectP50 = HistogramStatistics.Percentile(connect, 50),
        ConnectP99 = HistogramStatistics.Percentile(connect, 99),
        ConnectMax = HistogramStatistics.Max(connect),
        LatencyHistogram = HistogramCodec.EncodeRecorded(latency),
        ServiceTimeHistogram = HistogramCodec.EncodeRecorded(serviceTime),
        ConnectHistogram = HistogramCodec.EncodeRecorded(connect),
    };

    private static HistogramBase Sum(LoadResult[] results, Func<LoadResult, string?> encoded, Func<LoadResult, bool> measured, string name)
    {
        HistogramBase total = LatencyRecorder.NewHistogram();
        foreach (LoadResult result in results)
        {
            if (encoded(result) is { } text)
            {
                try
                {
                    total.Add(HistogramCodec.Decode(text));
                }
                catch (Exception ex) when (ex is FormatException or ArgumentOutOfRangeException or IndexOutOfRangeException)
                {
                    throw new ArgumentException($"The {name} of the result for {result.Target} started {result.StartTime:o} cannot be merged: {ex.Message}", nameof(results), ex);
                }
            }
            else if (measured(result))
            {
                throw new ArgumentException($"The result for {result.Target} started {result.StartTime:o} measured but carries no {name} to merge.", nameof(results));
            }
        }

        return total;
    }
}
