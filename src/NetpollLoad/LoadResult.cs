using Netpoll.Polling;

namespace Netpoll.Load;

/// <summary>
/// What a load test measured. Raw numbers (counts, bytes, TimeSpans) so they sort and aggregate, with
/// each time also in milliseconds (<c>LatencyP99Ms</c>) for scripts, CSV and JSON. A latency is null, never
/// zero, when nothing was measured: a run in which no request completed has no latency.
/// </summary>
/// <remarks>
/// Latency counts from each request's intended send time: in a fixed-rate test, when the schedule said to
/// send it (so a stalled server shows in it, wrk2-style); in a closed loop, when it was sent. Service time
/// always counts from the actual send. The two are equal in a closed loop. The histograms travel inside the
/// result (HdrHistogram's compressed base64 encoding), so results from several machines can be merged
/// (<see cref="Merge"/>) after CliXml or JSON.
/// </remarks>
public sealed partial record LoadResult
{
    // The lists are kept as lists that print their items (ReadableList), whoever sets them (the generator, Merge, a
    // JSON or CliXml reader), so Export-Csv shows what is in them, not a type name.
    private readonly ReadableList<string> _addressFailures = ReadableList<string>.Empty;
    private readonly ReadableList<LoadStage> _stages = ReadableList<LoadStage>.Empty;
    private readonly ReadableList<LoadThresholdResult> _thresholds = ReadableList<LoadThresholdResult>.Empty;
    private readonly ReadableList<LoadResult> _nodes = ReadableList<LoadResult>.Empty;

    public required LoadPattern Pattern { get; init; }
    public required string Target { get; init; }

    /// <summary>When the test started (wall clock): the origin of <see cref="Timeline"/>'s Elapsed.</summary>
    public required DateTimeOffset StartTime { get; init; }

    public required int ConnectionsRequested { get; init; }

    /// <summary>Connections opened in all: the first of each slot plus <see cref="ConnectionsReopened"/>.</summary>
    public required int ConnectionsOpened { get; init; }

    public required int PeakConnections { get; init; }
    public required long ConnectFailures { get; init; }

    /// <summary>
    /// Each of the target's addresses a connect failed at, with the cause and message of the first failure there:
    /// <c>"[::1]:8080: Refused (...)"</c>. A name's address that refused before another accepted is listed though it
    /// counts in no error (<see cref="ConnectFailures"/> counts connects that no address took); empty when none failed.
    /// </summary>
    public IReadOnlyList<string> AddressFailures { get => _addressFailures; init => _addressFailures = ReadableList<string>.Of(value); }

    /// <summary>
    /// Connections opened in place of one that closed, whether cleanly (Connection: close, nothing in flight) or by an
    /// error (reset, cut short, response timeout, bad response), or of a connect that failed and was tried again.
    /// After a connection that completed no response, or a failed connect, the next waits 10 ms, doubling to 1 s.
    /// </summary>
    public long ConnectionsReopened { get; init; }

    /// <summary>Requests that completed (a full reply arrived; for HTTP, whatever its status).</summary>
    public required long Requests { get; init; }

    /// <summary>Requests sent that never completed: no reply in time, or their connection broke.</summary>
    public required long RequestsFailed { get; init; }

    /// <summary>
    /// Requests sent and not yet answered when the run stopped (its duration ended, its stages ran out, or it was
    /// canceled): neither completed nor failed, as wrk counts them. With <see cref="Requests"/> and
    /// <see cref="RequestsFailed"/> it accounts for every request sent, each once. 0 for a run that stopped on its
    /// request count (every request resolved).
    /// </summary>
    public long RequestsInFlightAtStop { get; init; }

    /// <summary>
    /// Requests sent again, on a new connection, because a reused keep-alive connection closed before any of their response
    /// arrived (idempotent HTTP methods only; see <see cref="LoadOptions.RetryIdempotent"/>), each counted here once. Each is still counted
    /// once, in <see cref="Requests"/> or <see cref="RequestsFailed"/> (by its second attempt's end) or
    /// <see cref="RequestsInFlightAtStop"/>; its latency runs from its first attempt.
    /// </summary>
    public long RequestsRetried { get; init; }

    /// <summary>Fixed rate: requests the schedule had made due by the end; null in a closed loop.</summary>
    public long? RequestsScheduled { get; init; }

    /// <summary>Fixed rate: due requests never sent because no connection was free in time (the target could not keep up). 0 in a closed loop.</summary>
    public long RequestsNotSent { get; init; }

    public required long BytesSent { get; init; }
    public required long BytesReceived { get; init; }

    /// <summary>From the start (<see cref="StartTime"/>) to the stop: the time requests could be made in; building the generator comes before it.</summary>
    public required TimeSpan Elapsed { get; init; }

    public required double RequestsPerSecond { get; init; }
    public required double ThroughputBytesPerSecond { get; init; }

    /// <summary>Fixed rate: the requests per second asked for (the highest stage's for a ramp); null in a closed loop.</summary>
    public double? TargetRate { get; init; }

    /// <summary>Fixed rate: the ramps asked for; empty otherwise.</summary>
    public IReadOnlyList<LoadStage> Stages { get => _stages; init => _stages = ReadableList<LoadStage>.Of(value); }

    // The latency, service-time and connect statistics are set from the histograms (WithHistograms), so they always agree with them.
    public TimeSpan? LatencyMean { get; init; }
    public TimeSpan? LatencyP50 { get; init; }
    public TimeSpan? LatencyP90 { get; init; }
    public TimeSpan? LatencyP99 { get; init; }
    public TimeSpan? LatencyP999 { get; init; }
    public TimeSpan? LatencyMax { get; init; }
    public TimeSpan? ServiceTimeMean { get; init; }
    public TimeSpan? ServiceTimeP50 { get; init; }
    public TimeSpan? ServiceTimeP90 { get; init; }
    public TimeSpan? ServiceTimeP99 { get; init; }
    public TimeSpan? ServiceTimeP999 { get; init; }
    public TimeSpan? ServiceTimeMax { get; init; }
    public TimeSpan? ConnectP50 { get; init; }
    public TimeSpan? ConnectP99 { get; init; }
    public TimeSpan? ConnectMax { get; init; }

    /// <summary>Fixed rate: the longest any due request waited to be sent; null in a closed loop.</summary>
    public TimeSpan? ScheduleLagMax { get; init; }

    /// <summary>Fixed rate: how far behind the schedule was when the test ended; null in a closed loop.</summary>
    public TimeSpan? ScheduleLagFinal { get; init; }

    /// <summary>HTTP responses by status code: <c>StatusCodes[200]</c>. Interim (1xx) responses are counted too.</summary>
    public LoadStatusCodes StatusCodes { get; init; } = LoadStatusCodes.Empty;

    /// <summary>Errors by cause: <c>ErrorsByKind.Refused</c>, <c>ErrorsByKind.ResponseTimeout</c>, ...</summary>
    public required LoadErrors ErrorsByKind { get; init; }

    /// <summary>
    /// Why the test stopped: Duration, Requests, Canceled, or NoConnections: no connection is open and none will be, because
    /// every connect failed before any response completed (the target is down or refuses), or, in a run with no time
    /// limit, every slot's connects kept failing for its whole back-off (about 2 s).
    /// </summary>
    public required string StopReason { get; init; }

    /// <summary>One sample per progress interval: open connections, requests, rate, interval latency and schedule lag.</summary>
    public LoadTimeline Timeline { get; init; } = LoadTimeline.Empty;

    /// <summary>The verdict of each threshold the test was given; empty when none were.</summary>
    public IReadOnlyList<LoadThresholdResult> Thresholds { get => _thresholds; init => _thresholds = ReadableList<LoadThresholdResult>.Of(value); }

    /// <summary>Latency (from the intended send) in nanoseconds as HdrHistogram's compressed base64; null when none was measured.</summary>
    public string? LatencyHistogram { get; init; }

    /// <summary>Service time (from the actual send) in nanoseconds, encoded as <see cref="LatencyHistogram"/>.</summary>
    public string? ServiceTimeHistogram { get; init; }

    /// <summary>Connect times in nanoseconds, encoded as <see cref="LatencyHistogram"/>.</summary>
    public string? ConnectHistogram { get; init; }

    /// <summary>The HdrHistogram interval log written during the test, or null.</summary>
    public string? HistogramPath { get; init; }

    /// <summary>True when the generator ran in another process than the one that asked for the test.</summary>
    public bool Isolated { get; init; }

    /// <summary>TLS handshakes the load's connections completed, full and resumed (zero without TLS).</summary>
    public long TlsHandshakes { get; init; }

    /// <summary>Of <see cref="TlsHandshakes"/>, those that resumed an earlier session (a ticket) instead of a full handshake.</summary>
    public long TlsResumedHandshakes { get; init; }

    /// <summary>
    /// The kernel API the generator's pollers ran on (<see cref="LoadOptions.Backend"/> resolved: Auto's choice, or epoll
    /// where io_uring was asked for and refused); null for merged results that ran on different ones.
    /// </summary>
    public PollerBackendKind? Backend { get; init; }

    /// <summary>Why the pollers ran on <see cref="Backend"/>, in the dialer's words (merged: each node's, distinct, joined by "; ").</summary>
    public string? BackendReason { get; init; }

    /// <summary>
    /// Why closing the generator's connections and pollers after the run failed ("TimeoutException: ..."): the numbers are
    /// whole (everything was counted before the close), but the process may still hold what did not close. Null when it
    /// closed cleanly (merged: each node's, distinct, joined by "; ").
    /// </summary>
    public string? CleanupError { get; init; }

    /// <summary>The name of this part of a test that ran on several nodes (Invoke-NetpollLoad -Tag, or the node's name once merged); null when none was given.</summary>
    public string? Tag { get; init; }

    /// <summary>A merged result's parts, one per node, each named by its <see cref="Tag"/>; empty for a result that was not merged.</summary>
    public IReadOnlyList<LoadResult> Nodes { get => _nodes; init => _nodes = new ReadableList<LoadResult>(value ?? throw new ArgumentNullException(nameof(value)), node => node?.Tag ?? node?.Target); }

    /// <summary>All errors (the sum of <see cref="ErrorsByKind"/>).</summary>
    public long Errors => ErrorsByKind.Total;

    /// <summary>
    /// The share of requests that failed: those that never completed plus HTTP 4xx and 5xx responses, of all
    /// requests sent. Null when no request was sent.
    /// </summary>
    public double? ErrorRate => Requests + RequestsFailed == 0 ? null : (double)(RequestsFailed + Status4xx + Status5xx) / (Requests + RequestsFailed);

    /// <summary>True when every threshold passed, false when one failed, null when there were none.</summary>
    public bool? ThresholdsPassed => Thresholds.Count == 0 ? null : Thresholds.All(t => t.Passed);

    public long Status1xx => StatusCodes.InClass(1);
    public long Status2xx => StatusCodes.InClass(2);
    public long Status3xx => StatusCodes.InClass(3);
    public long Status4xx => StatusCodes.InClass(4);
    public long Status5xx => StatusCodes.InClass(5);

    public double ElapsedSeconds => Elapsed.TotalSeconds;
    public double? LatencyMeanMs => LatencyMean?.TotalMilliseconds;
    public double? LatencyP50Ms => LatencyP50?.TotalMilliseconds;
    public double? LatencyP90Ms => LatencyP90?.TotalMilliseconds;
    public double? LatencyP99Ms => LatencyP99?.TotalMilliseconds;
    public double? LatencyP999Ms => LatencyP999?.TotalMilliseconds;
    public double? LatencyMaxMs => LatencyMax?.TotalMilliseconds;
    public double? ServiceTimeMeanMs => ServiceTimeMean?.TotalMilliseconds;
    public double? ServiceTimeP50Ms => ServiceTimeP50?.TotalMilliseconds;
    public double? ServiceTimeP90Ms => ServiceTimeP90?.TotalMilliseconds;
    public double? ServiceTimeP99Ms => ServiceTimeP99?.TotalMilliseconds;
    public double? ServiceTimeP999Ms => ServiceTimeP999?.TotalMilliseconds;
    public double? ServiceTimeMaxMs => ServiceTimeMax?.TotalMilliseconds;
    public double? ConnectP50Ms => ConnectP50?.TotalMilliseconds;
    public double? ConnectP99Ms => ConnectP99?.TotalMilliseconds;
    public double? ConnectMaxMs => ConnectMax?.TotalMilliseconds;
    public double? ScheduleLagMaxMs => ScheduleLagMax?.TotalMilliseconds;
    public double? ScheduleLagFinalMs => ScheduleLagFinal?.TotalMilliseconds;
}
