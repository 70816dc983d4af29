using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Netpoll.Client;
using Netpoll.Connections;

namespace Netpoll.Load;

/// <summary>
/// Drives a server hard from this process: opens connections through a <see cref="Dialer"/> (ramped at
/// a connect rate, optionally over several source addresses), runs a pattern on each, and reports
/// throughput, latency percentiles and errors by cause. Bounded by duration and/or request count.
/// </summary>
public static class LoadGenerator
{
    private const int ConnectsInFlight = 256;

    /// <summary>Runs a load test. Cancel to stop early; the result then covers what ran.</summary>
    public static async Task<LoadResult> RunAsync(LoadOptions options, Action<LoadProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var run = new LoadRun(options);
        DateTimeOffset startTime = DateTimeOffset.Now;
        var clock = Stopwatch.StartNew();
        await using var dialer = new Dialer(new DialerOptions
        {
            Name = "load",
            Pollers = options.Pollers,
            DialTimeout = options.ConnectTimeout,

            // "No byte moved for this long" on a connection with a request in flight is "no reply in time".
            Connection = new ConnectionOptions
            {
                Dispatch = DispatchMode.Inline,
                IdleTimeout = options.Pattern == LoadPattern.Idle ? TimeSpan.Zero : options.ResponseTimeout,
            },
        });

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (options.Duration is { } duration)
        {
            stop.CancelAfter(duration);
        }

        Task ramp = RampAsync(dialer, run, stop.Token);
        string reason = await WaitForEndAsync(run, ramp, progress, clock, stop.Token, cancellationToken).ConfigureAwait(false);
        TimeSpan elapsed = clock.Elapsed;
        run.Stop();
        await stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await ramp.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        long completed = run.Completed;
        double seconds = Math.Max(elapsed.TotalSeconds, 1e-9);
        LatencyHistogram latency = run.Latency;
        LatencyHistogram connect = run.ConnectTime;
        return new LoadResult
        {
            Pattern = options.Pattern,
            Target = options.Target.ToString() ?? "?",
            StartTime = startTime,
            ConnectionsRequested = options.Connections,
            ConnectionsOpened = Volatile.Read(ref run.Opened),
            PeakConnections = run.Peak,
            ConnectFailures = Volatile.Read(ref run.ConnectFailures),
            Requests = completed,
            RequestsFailed = run.Failed,
            BytesSent = Volatile.Read(ref run.BytesSent),
            BytesReceived = Volatile.Read(ref run.BytesReceived),
            Elapsed = elapsed,
            RequestsPerSecond = completed / seconds,
            ThroughputBytesPerSecond = (Volatile.Read(ref run.BytesSent) + Volatile.Read(ref run.BytesReceived)) / seconds,
            LatencyMean = Measured(latency, h => h.Mean),
            LatencyP50 = Measured(latency, h => h.Percentile(50)),
            LatencyP90 = Measured(latency, h => h.Percentile(90)),
            LatencyP99 = Measured(latency, h => h.Percentile(99)),
            LatencyP999 = Measured(latency, h => h.Percentile(99.9)),
            LatencyMax = Measured(latency, h => h.Max),
            ConnectP50 = Measured(connect, h => h.Percentile(50)),
            ConnectP99 = Measured(connect, h => h.Percentile(99)),
            ConnectMax = Measured(connect, h => h.Max),
            ErrorsByKind = run.Errors,
            StopReason = reason,
            Timeline = new LoadTimeline(run.Timeline),
        };
    }

    /// <summary>Maps a connect or I/O failure to its cause; <see cref="LoadErrorKind.Other"/> only for a cause no kind names.</summary>
    public static LoadErrorKind Classify(Exception error) => error switch
    {
        TimeoutException => LoadErrorKind.ConnectTimeout,
        ConnectionClosedException => LoadErrorKind.ClosedByServer,
        SocketException socket => socket.SocketErrorCode switch
        {
            SocketError.ConnectionRefused => LoadErrorKind.Refused,
            SocketError.ConnectionReset or SocketError.ConnectionAborted => LoadErrorKind.Reset,
            SocketError.TimedOut => LoadErrorKind.ConnectTimeout,
            SocketError.HostUnreachable or SocketError.HostDown => LoadErrorKind.HostUnreachable,
            SocketError.NetworkUnreachable or SocketError.NetworkDown => LoadErrorKind.NetworkUnreachable,
            SocketError.TooManyOpenSockets => LoadErrorKind.TooManyOpenFiles,
            SocketError.AddressNotAvailable => LoadErrorKind.AddressNotAvailable,
            SocketError.AddressAlreadyInUse => LoadErrorKind.AddressInUse,
            SocketError.Shutdown => LoadErrorKind.BrokenPipe,
            SocketError.NoBufferSpaceAvailable => LoadErrorKind.NoBufferSpace,
            SocketError.AccessDenied => LoadErrorKind.AccessDenied,
            _ => LoadErrorKind.Other,
        },
        _ => LoadErrorKind.Other,
    };

    /// <summary>A histogram's statistic, or null when it recorded nothing: no data is not a zero.</summary>
    private static TimeSpan? Measured(LatencyHistogram histogram, Func<LatencyHistogram, TimeSpan> statistic) =>
        histogram.Count == 0 ? null : statistic(histogram);

    private static async Task<string> WaitForEndAsync(LoadRun run, Task ramp, Action<LoadProgress>? progress, Stopwatch clock, CancellationToken stop, CancellationToken userCancel)
    {
        long lastRequests = 0;
        TimeSpan lastAt = TimeSpan.Zero;
        Task stopped = Task.Delay(Timeout.Infinite, stop);
        while (true)
        {
            Task tick = Task.Delay(run.Options.ProgressInterval, CancellationToken.None);
            Task first = await Task.WhenAny(run.BudgetSpent, stopped, tick).ConfigureAwait(false);
            TimeSpan now = clock.Elapsed;
            long requests = run.Completed;
            LatencyHistogram interval = run.TakeInterval();
            var sample = new LoadProgress(now, run.Open, run.Options.Connections, requests, (requests - lastRequests) / Math.Max((now - lastAt).TotalSeconds, 1e-9), run.ErrorCount, run.Options.Duration, Measured(interval, h => h.Percentile(50)), Measured(interval, h => h.Percentile(99)));
            run.Timeline.Add(sample);
            progress?.Invoke(sample);
            lastRequests = requests;
            lastAt = now;
            if (first == run.BudgetSpent)
            {
                return "Requests";
            }

            if (first == stopped)
            {
                return userCancel.IsCancellationRequested ? "Canceled" : "Duration";
            }

            // Every connection failed or closed and nothing can progress any more.
            if (ramp.IsCompleted && run.Open == 0 && run.Options.Pattern != LoadPattern.Idle)
            {
                return "NoConnections";
            }
        }
    }

    private static async Task RampAsync(Dialer dialer, LoadRun run, CancellationToken stop)
    {
        LoadOptions options = run.Options;
        using var inFlight = new SemaphoreSlim(ConnectsInFlight);
        var starts = new List<Task>(options.Connections);
        long rampStart = Stopwatch.GetTimestamp();
        for (int i = 0; i < options.Connections && !stop.IsCancellationRequested; i++)
        {
            if (options.ConnectRate > 0)
            {
                TimeSpan due = TimeSpan.FromSeconds((double)i / options.ConnectRate) - Stopwatch.GetElapsedTime(rampStart);
                if (due > TimeSpan.Zero)
                {
                    await Task.Delay(due, stop).ConfigureAwait(false);
                }
            }

            await inFlight.WaitAsync(stop).ConfigureAwait(false);
            EndPoint? source = options.SourceAddresses.Count == 0 ? null : new IPEndPoint(options.SourceAddresses[i % options.SourceAddresses.Count], 0);
            starts.Add(ConnectOneAsync(dialer, run, source, inFlight, stop));
        }

        await Task.WhenAll(starts).ConfigureAwait(false);
    }

    private static async Task ConnectOneAsync(Dialer dialer, LoadRun run, EndPoint? source, SemaphoreSlim inFlight, CancellationToken stop)
    {
        long started = Stopwatch.GetTimestamp();
        try
        {
            var handler = new LoadConnection(run);
            Connection connection = await dialer.ConnectAsync(run.Options.Target, handler, source, cancellationToken: stop).ConfigureAwait(false);
            run.ConnectTime.Record((long)Stopwatch.GetElapsedTime(started).TotalNanoseconds);
            handler.Opened(connection);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
        catch (Exception ex) when (ex is SocketException or TimeoutException or IOException)
        {
            Interlocked.Increment(ref run.ConnectFailures);
            LoadErrorKind kind = Classify(ex);
            if (kind == LoadErrorKind.Other)
            {
                run.OtherError(ex.Message);
            }
            else
            {
                run.Error(kind);
            }
        }
        finally
        {
            inFlight.Release();
        }
    }
}
