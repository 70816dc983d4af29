using System.Diagnostics;
using System.Net.Sockets;
using System.Security.Authentication;
using HdrHistogram;
using Netpoll.Client;
using Netpoll.Connections;
using Netpoll.Diagnostics;
using Netpoll.Tls;

namespace Netpoll.Load;

/// <summary>
/// Drives a server from this process: opens connections through a <see cref="Dialer"/> (ramped at a connect
/// rate, optionally over several source addresses), runs a pattern on each — echo, HTTP/1.1 requests, a
/// user's payload, idle, or a new connection per request (Handshake), over TLS when asked — closed loop or at a fixed rate, and reports throughput, latency and service-time
/// percentiles (HdrHistogram), status codes, errors by cause and threshold verdicts. Bounded by duration,
/// request count or stages.
/// </summary>
public static class LoadGenerator
{
    /// <summary>Sent requests due this close to the end are not counted as not sent: the pacer's clock is this coarse.</summary>
    private static readonly TimeSpan PacerResolution = TimeSpan.FromMilliseconds(2);

    /// <summary>Runs a load test. Cancel to stop early; the result then covers what ran.</summary>
    /// <exception cref="ArgumentException">The options cannot run (the message names the option and what is allowed).</exception>
    /// <exception cref="IOException">The histogram log cannot be created.</exception>
    /// <exception cref="LoadStopTimeoutException">The run ended and measured, but its connections did not all close within the stop's bound; <see cref="LoadStopTimeoutException.Result"/> is the result.</exception>
    public static Task<LoadResult> RunAsync(LoadOptions options, Action<LoadProgress>? progress = null, CancellationToken cancellationToken = default) =>
        RunAsync(options, progress, dialerOptions => new Dialer(dialerOptions), cancellationToken);

    /// <summary>Runs a load test with a dialer from <paramref name="newDialer"/> (tests slow its building down).</summary>
    /// <exception cref="LoadStopTimeoutException">The run ended but its connections did not all close in time; it carries the result.</exception>
    internal static async Task<LoadResult> RunAsync(LoadOptions options, Action<LoadProgress>? progress, Func<DialerOptions, Dialer> newDialer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();

        // The dialer is built before the run's clock starts: a cold one (a new process: -Isolated) takes 100-280 ms, which
        // is no time requests could be made in, and counted in Elapsed it put a 1 s run at 1.29 s and its rate 20 % low.
        Dialer dialer = newDialer(new DialerOptions
        {
            Name = "load",
            Pollers = options.Pollers,
            Backend = options.Backend,
            DialTimeout = options.ConnectTimeout,
            Tls = options.DialerTls(),

            // Replies are read on the poller that received them; response timeouts are the watchdog's (per request, not per idle connection).
            Connection = new ConnectionOptions { Dispatch = DispatchMode.Inline, IdleTimeout = TimeSpan.Zero },
        });

        LoadResult result;
        try
        {
            result = await RunOnAsync(dialer, options, progress, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await CloseQuietlyAsync(dialer).ConfigureAwait(false); // the run's own failure is the one to report
            throw;
        }

        // The result is whole before the connections close: a close that overruns its bound must not lose it.
        try
        {
            await dialer.DisposeAsync().ConfigureAwait(false);
        }
        catch (TimeoutException ex)
        {
            throw new LoadStopTimeoutException($"The load test ran, but closing its connections did not finish: {ex.Message}", result, ex);
        }

        return result;
    }

    private static async Task CloseQuietlyAsync(Dialer dialer)
    {
        try
        {
            await dialer.DisposeAsync().ConfigureAwait(false);
        }
        catch (TimeoutException ex)
        {
            Trace.TraceWarning($"netpoll load: closing the connections of a failed run did not finish: {ex.Message}");
        }
    }

    /// <summary>The run itself, on <paramref name="dialer"/>, which the caller closes.</summary>
    private static async Task<LoadResult> RunOnAsync(Dialer dialer, LoadOptions options, Action<LoadProgress>? progress, CancellationToken cancellationToken)
    {
        // The origin is second 0 of the run: of StartTime, Elapsed, the timeline, the fixed-rate schedule (whose due times
        // correct for coordinated omission) and the stop, which comes at origin + duration. Now, or StartAt (connections
        // open before it; one that passed while the dialer was built stays the origin, as it is every other node's).
        TimeSpan wait = options.StartAt is { } at ? at - DateTimeOffset.UtcNow : TimeSpan.Zero;
        DateTimeOffset startTime = options.StartAt?.ToLocalTime() ?? DateTimeOffset.Now;
        long origin = Stopwatch.GetTimestamp() + (long)(wait.TotalSeconds * Stopwatch.Frequency);
        using HistogramLogFile? log = options.HistogramLogPath is { } path ? new HistogramLogFile(path, startTime) : null;
        RateSchedule? schedule = options.IsFixedRate ? new RateSchedule(options.Rate, options.Stages, options.Duration) : null;
        using Pacer? pacer = schedule is null ? null : new Pacer(schedule, origin, options.Requests);
        var run = new LoadRun(options, pacer);

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        TimeSpan? duration = options.Stages.Count > 0 ? TimeSpan.FromSeconds(schedule!.TotalSeconds) : options.Duration;
        if (duration is { } d)
        {
            stop.CancelAfter(TimeSpan.FromTicks(Math.Max(0, (d - Stopwatch.GetElapsedTime(origin)).Ticks)));
        }

        var connector = new LoadConnector(dialer, run, stop.Token);
        pacer?.Start();
        Task ramp = connector.RampAsync();
        Task watchdog = options.Pattern == LoadPattern.Idle ? Task.CompletedTask : WatchResponseTimeoutsAsync(run, stop.Token);
        if (options.StartAt is not null)
        {
            await Ignoring<OperationCanceledException>(Task.Delay(TimeSpan.FromTicks(Math.Max(0, Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), origin).Ticks)), stop.Token)).ConfigureAwait(false);
            run.Release();
        }

        var intervals = new IntervalReporter(run, progress, log, startTime, origin, duration);
        string reason = await WaitForEndAsync(run, ramp, intervals, stop.Token, cancellationToken).ConfigureAwait(false);

        // What is in flight at the end is counted as such, once, and no reply after it counts (wrk's rule): settled now, and
        // again once the connects that were under way have ended (a Handshake connect carries its request, and a connect that
        // completed as the run stopped opened a connection just now). The end is taken after the stop and the settling, so
        // everything the result counts happened before it: no request is sent on a schedule after its end (what was sent is
        // at most what was due), and no reply arrives after it.
        run.Stop();
        run.SettleAtStop();
        long end = Math.Max(Stopwatch.GetTimestamp(), origin); // stopped before its start: nothing ran
        TimeSpan? finalLag = pacer?.Lag(end);
        await stop.CancelAsync().ConfigureAwait(false);
        await Ignoring<OperationCanceledException>(ramp).ConfigureAwait(false);
        await watchdog.ConfigureAwait(false);
        await WaitForConnectsAsync(run).ConfigureAwait(false);
        run.SettleAtStop();
        intervals.Report(end); // the last, partial interval

        IReadOnlyList<PollerStats> pollers = dialer.GetStats();
        TimeSpan elapsed = Stopwatch.GetElapsedTime(origin, end);
        long completed = run.Completed;
        double seconds = Math.Max(elapsed.TotalSeconds, 1e-9);
        long scheduled = pacer?.DueBy(end) ?? 0;
        long dueBeforeEnd = pacer?.DueBy(end - (long)(PacerResolution.TotalSeconds * Stopwatch.Frequency)) ?? 0;
        LoadResult result = new LoadResult
        {
            Pattern = options.Pattern,
            Target = connector.Target.ToString() ?? "?",
            StartTime = startTime,
            ConnectionsRequested = options.Connections,
            ConnectionsOpened = Volatile.Read(ref run.Opened),
            PeakConnections = run.Peak,
            ConnectFailures = Volatile.Read(ref run.ConnectFailures),
            AddressFailures = connector.AddressFailures,
            ConnectionsReopened = Volatile.Read(ref run.Reopened),
            Requests = completed,
            RequestsFailed = run.Failed,
            RequestsInFlightAtStop = run.InFlightAtStopCount,
            RequestsRetried = Volatile.Read(ref run.Retried),
            RequestsScheduled = pacer is null ? null : scheduled,
            RequestsNotSent = pacer is null ? 0 : Math.Max(0, dueBeforeEnd - run.SentOnSchedule),
            BytesSent = Volatile.Read(ref run.BytesSent),
            BytesReceived = Volatile.Read(ref run.BytesReceived),
            Elapsed = elapsed,
            RequestsPerSecond = completed / seconds,
            ThroughputBytesPerSecond = (Volatile.Read(ref run.BytesSent) + Volatile.Read(ref run.BytesReceived)) / seconds,
            TargetRate = schedule?.PeakRate,
            Stages = options.Stages,
            ScheduleLagMax = pacer?.MaxLag,
            ScheduleLagFinal = finalLag,
            StatusCodes = run.StatusCodes,
            ErrorsByKind = run.Errors,
            StopReason = reason,
            Timeline = new LoadTimeline(run.Timeline),
            HistogramPath = options.HistogramLogPath is { } logPath ? Path.GetFullPath(logPath) : null,
            TlsHandshakes = pollers.Sum(p => p.TlsHandshakes),
            TlsResumedHandshakes = pollers.Sum(p => p.TlsResumedHandshakes),
            Backend = dialer.BackendInUse,
            BackendReason = dialer.BackendReason,
        }.WithHistograms(run.Latency.Total, (run.ServiceTime ?? run.Latency).Total, run.ConnectTime.Total);
        return result with { Thresholds = [.. options.Thresholds.Select(t => t.Evaluate(result))] };
    }

    /// <summary>Maps a connect or I/O failure to its cause; <see cref="LoadErrorKind.Other"/> only for a cause no kind names.</summary>
    public static LoadErrorKind Classify(Exception error) => error switch
    {
        TlsHandshakeTimeoutException => LoadErrorKind.TlsHandshakeTimeout, // before TimeoutException: it is one
        TimeoutException => LoadErrorKind.ConnectTimeout,
        AuthenticationException => LoadErrorKind.TlsHandshake,
        ConnectionClosedException => LoadErrorKind.ClosedEarly,
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

    private static async Task<string> WaitForEndAsync(LoadRun run, Task ramp, IntervalReporter intervals, CancellationToken stop, CancellationToken userCancel)
    {
        Task stopped = Task.Delay(Timeout.Infinite, stop);
        while (true)
        {
            Task tick = Task.Delay(run.Options.ProgressInterval, CancellationToken.None);
            Task first = await Task.WhenAny(run.BudgetSpent, stopped, tick).ConfigureAwait(false);
            if (first == run.BudgetSpent)
            {
                return "Requests";
            }

            if (first == stopped)
            {
                return StoppedReason(userCancel);
            }

            intervals.Report(Stopwatch.GetTimestamp());

            // No connection is open, and none is being opened or waiting to be (every slot gave up: see LoadConnector), so
            // nothing can progress any more. Once the run's time is up no connection is reopened, so a tick that comes before
            // the stop is seen finds none: that is the stop. An Idle run goes on after the server closed what it held (its
            // result shows that), but not when no connection ever opened: a target that is down has nothing to show.
            bool idleHeldSome = run.Options.Pattern == LoadPattern.Idle && Volatile.Read(ref run.Opened) > 0;
            if (ramp.IsCompleted && !run.HasConnections && !idleHeldSome)
            {
                // The last request may have resolved (and its connection closed) since WhenAny chose the tick: a
                // Handshake run ends with no connection open once its budget is spent, and that end is "Requests".
                if (run.BudgetSpent.IsCompleted)
                {
                    return "Requests";
                }

                return stop.IsCancellationRequested ? StoppedReason(userCancel) : "NoConnections";
            }
        }
    }

    /// <summary>
    /// Waits for the connects under way when the run stopped (its stop token cancels them, so they end at once), so every
    /// connection they opened is listed for <see cref="LoadRun.SettleAtStop"/>. Bounded: a connect that ignored the
    /// cancellation could only open a connection that takes no request (none is taken after the stop; a Handshake
    /// connect, which carries one, is the ramp's, and the ramp has been awaited).
    /// </summary>
    private static async Task WaitForConnectsAsync(LoadRun run)
    {
        long deadline = Stopwatch.GetTimestamp() + (2 * Stopwatch.Frequency);
        while (run.Connecting > 0 && Stopwatch.GetTimestamp() < deadline)
        {
            await Task.Delay(1).ConfigureAwait(false);
        }
    }

    private static string StoppedReason(CancellationToken userCancel) => userCancel.IsCancellationRequested ? "Canceled" : "Duration";

    /// <summary>Closes connections whose oldest request has waited longer than the response timeout, a few times per timeout.</summary>
    private static async Task WatchResponseTimeoutsAsync(LoadRun run, CancellationToken stop)
    {
        TimeSpan timeout = run.Options.ResponseTimeout;
        TimeSpan period = TimeSpan.FromTicks(Math.Clamp(timeout.Ticks / 4, TimeSpan.TicksPerMillisecond * 10, TimeSpan.TicksPerMillisecond * 250));
        long timeoutTicks = (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        using var timer = new PeriodicTimer(period);
        try
        {
            while (await timer.WaitForNextTickAsync(stop).ConfigureAwait(false))
            {
                long now = Stopwatch.GetTimestamp();
                foreach (LoadConnection connection in run.LiveConnections)
                {
                    connection.CheckResponseTimeout(now, timeoutTicks);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static async Task Ignoring<TException>(Task task)
        where TException : Exception
    {
        try
        {
            await task.ConfigureAwait(false);
        }
        catch (TException)
        {
        }
    }

    /// <summary>
    /// At each progress interval: takes the interval's histograms (which also adds them to the run's totals),
    /// writes them to the interval log, and reports a progress sample. The progress loop's thread only.
    /// </summary>
    private sealed class IntervalReporter(LoadRun run, Action<LoadProgress>? progress, HistogramLogFile? log, DateTimeOffset startTime, long origin, TimeSpan? duration)
    {
        private long _lastAt;
        private long _lastRequests;

        public void Report(long now)
        {
            long requests = run.Completed;
            HistogramBase latency = run.Latency.TakeInterval();
            HistogramBase serviceTime = run.ServiceTime?.TakeInterval() ?? latency;
            run.ConnectTime.TakeInterval();
            TimeSpan elapsed = Stopwatch.GetElapsedTime(origin, now);
            long from = _lastAt == 0 ? origin : _lastAt;
            TimeSpan length = Stopwatch.GetElapsedTime(from, now);
            if (log is not null)
            {
                DateTimeOffset intervalStart = startTime + Stopwatch.GetElapsedTime(origin, from);
                log.Append(latency, intervalStart, length);
                log.Append(serviceTime, intervalStart, length, HistogramLogFile.ServiceTimeTag);
            }

            var sample = new LoadProgress(
                elapsed,
                run.Open,
                run.Options.Connections,
                requests,
                (requests - _lastRequests) / Math.Max(length.TotalSeconds, 1e-9),
                run.ErrorCount,
                duration,
                HistogramStatistics.Percentile(latency, 50),
                HistogramStatistics.Percentile(latency, 99),
                run.Pacer?.Lag(now),
                run.Pacer?.RateAt(now));
            run.Timeline.Add(sample);
            progress?.Invoke(sample);
            _lastAt = now;
            _lastRequests = requests;
        }
    }
}
