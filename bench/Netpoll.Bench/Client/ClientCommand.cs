using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Runtime;
using System.Text.Json;
using Netpoll.Load;
using Netpoll.Polling;

namespace Netpoll.Bench;

/// <summary>
/// <c>client --target HOST:PORT ...</c>: the engine's <see cref="LoadGenerator"/> in its own process.
/// A warm-up run on its own connections, then the measured run. The measured window starts when every
/// connection is open (the ramp is excluded) and lasts <c>--duration</c> seconds. Prints, one per line:
/// <c>WARMUP {...}</c>, <c>MARK {...}</c> (window start), <c>END {...}</c> (window end), <c>RESULT {...}</c>
/// (with the process's bytes allocated per request over the window).
/// With <c>--pattern idle</c> the connections are held after MARK until stdin says "stop" or closes.
/// With <c>--requests N</c> the measured run stops after N round trips, and with <c>--wait-go</c> it
/// starts only when stdin says "go". With <c>--rate R</c> it holds R round trips per second (open model) instead of a closed loop.
/// With <c>--jobs</c> the process stays up and runs one job per stdin line (<c>run --connections ...</c>,
/// the same options; <c>quit</c> ends): a warm client whose JIT has reached tier 1, measuring several
/// configurations against one server process. The client's pollers run on epoll (<c>--backend</c> to change it).
/// </summary>
internal static class ClientCommand
{
    private static readonly TimeSpan RampCap = TimeSpan.FromSeconds(60);

    public static async Task<int> RunAsync(CommandLine options)
    {
        if (!options.Flag("jobs"))
        {
            return await RunJobAsync(options).ConfigureAwait(false);
        }

        string target = options.Get("target") ?? throw new ArgumentException("client needs --target host:port.");
        while (await Console.In.ReadLineAsync().ConfigureAwait(false) is { } line)
        {
            string[] words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (words.Length == 0)
            {
                continue;
            }

            if (words[0] == "quit")
            {
                break;
            }

            if (words[0] != "run")
            {
                Emit("ERROR", new { message = $"unknown job '{words[0]}'; use run or quit" });
                continue;
            }

            try
            {
                await RunJobAsync(new CommandLine(["--target", target, .. words[1..]])).ConfigureAwait(false);
            }
            catch (ArgumentException ex)
            {
                Emit("ERROR", new { message = ex.Message });
            }
        }

        return 0;
    }

    private static async Task<int> RunJobAsync(CommandLine options)
    {
        string target = options.Get("target") ?? throw new ArgumentException("client needs --target host:port.");
        IPEndPoint endPoint = IPEndPoint.Parse(target);
        if (!IPAddress.IsLoopback(endPoint.Address))
        {
            throw new ArgumentException("the benchmark client only targets loopback addresses.");
        }

        LoadPattern pattern = options.Get("pattern", "pingpong") switch
        {
            "pingpong" => LoadPattern.PingPong,
            "idle" => LoadPattern.Idle,
            "http" => LoadPattern.Http,
            string p => throw new ArgumentException($"unknown pattern '{p}'; use pingpong, idle or http."),
        };
        int connections = options.Int("connections", 100);
        double measure = options.Double("duration", 5);
        double warmup = options.Double("warmup", 1);
        long requests = options.Long("requests", 0);
        int sources = options.Int("sources", 0);
        var baseOptions = new LoadOptions
        {
            Target = endPoint,
            Connections = connections,
            MessageSize = options.Int("size", 1024),
            Pattern = pattern,
            ConnectRate = options.Int("connect-rate", 0),
            // Round trips per second across the connections (open model), so a server has idle time between batches; 0: closed loop.
            Rate = options.Double("rate", 0),
            Pollers = options.Int("pollers", 1),
            // Epoll unless asked: every server is measured against the same client.
            Backend = Enum.Parse<PollerBackendKind>(options.Get("backend", nameof(PollerBackendKind.Epoll)), ignoreCase: true),
            ConnectTimeout = TimeSpan.FromSeconds(20),
            SourceAddresses = [.. Enumerable.Range(1, sources).Select(i => new IPAddress(new byte[] { 127, 0, 0, (byte)i }))],
            // What Invoke-NetpollLoad uses: each interval walks the histograms, so a shorter one would bill the
            // generator for bookkeeping a user's run does not do (the window's ends are taken from the samples).
            ProgressInterval = TimeSpan.FromMilliseconds(500),
        };

        using var stdinClosed = new CancellationTokenSource();
        if (warmup > 0 && pattern != LoadPattern.Idle)
        {
            LoadResult w = await LoadGenerator.RunAsync(baseOptions with { Duration = TimeSpan.FromSeconds(warmup) }).ConfigureAwait(false);
            Emit("WARMUP", new { requests = w.Requests, rps = w.RequestsPerSecond, errors = w.Errors });
        }

        if (options.Flag("wait-go"))
        {
            Emit("WAITING", new { });
            string? go = await Console.In.ReadLineAsync().ConfigureAwait(false);
            if (go is null)
            {
                return 1;
            }
        }

        using var cancel = new CancellationTokenSource();
        var clock = Stopwatch.StartNew();
        double markAt = -1;
        long markRequests = 0;
        bool ended = false;
        double endAt = 0;
        long endRequests = 0;
        long markAllocated = 0;
        long endAllocated = 0;
        JitReading markJit = default;
        JitReading endJit = default;
        Task? idleHold = null;

        void OnProgress(LoadProgress p)
        {
            if (markAt < 0 && (p.ConnectionsOpen >= connections || p.Elapsed >= RampCap))
            {
                markAt = p.Elapsed.TotalSeconds;
                markRequests = p.Requests;
                markAllocated = GC.GetTotalAllocatedBytes(precise: true);
                markJit = JitReading.Now();
                EmitWindowEdge("MARK", markAt, p, markJit);
                if (pattern == LoadPattern.Idle)
                {
                    idleHold = HoldIdleAsync(cancel);
                }
                else if (requests == 0)
                {
                    cancel.CancelAfter(TimeSpan.FromSeconds(measure));
                }
            }
            else if (!ended && markAt >= 0 && cancel.IsCancellationRequested)
            {
                ended = true;
                endAt = p.Elapsed.TotalSeconds;
                endRequests = p.Requests;
                endAllocated = GC.GetTotalAllocatedBytes(precise: true);
                endJit = JitReading.Now();
                EmitWindowEdge("END", endAt, p, endJit);
            }
        }

        LoadOptions run = baseOptions with
        {
            Duration = requests > 0 ? null : RampCap + TimeSpan.FromSeconds(pattern == LoadPattern.Idle ? 600 : measure + 5),
            Requests = requests,
        };
        LoadResult r = await LoadGenerator.RunAsync(run, OnProgress, cancel.Token).ConfigureAwait(false);
        if (idleHold is not null)
        {
            await idleHold.ConfigureAwait(false);
        }

        double window = ended ? endAt - markAt : r.Elapsed.TotalSeconds - Math.Max(markAt, 0);
        long windowRequests = ended ? endRequests - markRequests : r.Requests - markRequests;
        Emit("RESULT", new
        {
            pattern = r.Pattern.ToString(),
            connectionsRequested = r.ConnectionsRequested,
            connectionsOpened = r.ConnectionsOpened,
            peak = r.PeakConnections,
            requests = r.Requests,
            windowSeconds = window,
            windowRequests,
            rps = windowRequests / Math.Max(window, 1e-9),
            // The whole process's allocations over the window (progress samples included) per request.
            allocBytesPerRequest = ended && windowRequests > 0 ? (endAllocated - markAllocated) / (double)windowRequests : (double?)null,
            // What the JIT still compiled inside the window (tier-up, OSR, late first calls): CPU that is not the run's work.
            jitMethodsInWindow = ended ? endJit.Methods - markJit.Methods : (long?)null,
            jitMsInWindow = ended ? (endJit.Time - markJit.Time).TotalMilliseconds : (double?)null,
            elapsed = r.Elapsed.TotalSeconds,
            p50Us = r.LatencyP50?.TotalMicroseconds,
            p90Us = r.LatencyP90?.TotalMicroseconds,
            p99Us = r.LatencyP99?.TotalMicroseconds,
            p999Us = r.LatencyP999?.TotalMicroseconds,
            maxUs = r.LatencyMax?.TotalMicroseconds,
            meanUs = r.LatencyMean?.TotalMicroseconds,
            connectP99Us = r.ConnectP99?.TotalMicroseconds,
            connectFailures = r.ConnectFailures,
            errors = r.Errors,
            errorsByKind = r.ErrorsByKind.Occurred().ToDictionary(e => e.Kind.ToString(), e => e.Count),
            stopReason = r.StopReason,
        });
        return 0;
    }

    /// <summary>Idle: hold the connections until stdin says "stop" or closes, then end the run.</summary>
    private static Task HoldIdleAsync(CancellationTokenSource cancel) => Task.Run(async () =>
    {
        while (await Console.In.ReadLineAsync().ConfigureAwait(false) is { } line)
        {
            if (line.Trim() == "stop")
            {
                break;
            }
        }

        await cancel.CancelAsync().ConfigureAwait(false);
    });

    /// <summary>
    /// MARK and END are formatted by hand: the window's CPU is read right after them, and a first reflection-based
    /// serialization there would bill the window for compiling System.Text.Json's converters and their tier-up.
    /// </summary>
    private static void EmitWindowEdge(string tag, double elapsed, LoadProgress p, JitReading jit)
    {
        string line = string.Create(CultureInfo.InvariantCulture,
            $"{tag} {{\"elapsed\":{elapsed:R},\"requests\":{p.Requests},\"open\":{p.ConnectionsOpen},\"jitMethods\":{jit.Methods}}}");
        lock (Console.Out)
        {
            Console.Out.WriteLine(line);
            Console.Out.Flush();
        }
    }

    /// <summary>The runtime's JIT counters (every thread) at one instant.</summary>
    private readonly record struct JitReading(long Methods, TimeSpan Time)
    {
        public static JitReading Now() => new(JitInfo.GetCompiledMethodCount(), JitInfo.GetCompilationTime());
    }

    private static void Emit(string tag, object payload)
    {
        string json = JsonSerializer.Serialize(payload);
        lock (Console.Out)
        {
            Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{tag} {json}"));
            Console.Out.Flush();
        }
    }
}
