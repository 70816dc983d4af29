namespace Netpoll.Bench;

/// <summary>What a suite run covers: <c>short</c> (a smoke run, under 2 minutes with the build) or <c>full</c>.</summary>
internal sealed record SuiteSettings
{
    public required string Mode { get; init; }
    public int Repetitions { get; init; }
    /// <summary>Load on a fresh server (and client) process before anything is measured: tiered JIT needs 3–5 s of load to reach tier 1 here.</summary>
    public double JitWarmup { get; init; }
    /// <summary>Per measurement: a run on its own connections before the measured one.</summary>
    public double Warmup { get; init; }
    public double Measure { get; init; }
    /// <summary>(message size, connections) for the echo comparison; the first 1 KiB × 1000 is the headline.</summary>
    public required (int Size, int Connections)[] Echo { get; init; }
    /// <summary>
    /// The echo client's poller backend (auto, epoll or iouring). Auto (io_uring here) by default: on epoll the client
    /// saturated its core at 70–100 k round trips/s before the faster servers did, so they idled between batches and
    /// their cost per round trip measured how they wait, not how they work (the C epoll floor swung 72–130 k with it).
    /// Every server still meets the same client.
    /// </summary>
    public string EchoClientBackend { get; init; } = "auto";
    public int PollerRepetitions { get; init; }
    public required bool[] PollerPlacements { get; init; }
    /// <summary>The perf stat pass (syscalls and context switches per round trip, at 100 and 1000 connections).</summary>
    public bool Counting { get; init; }
    public int CountingRepetitions { get; init; } = 1;
    public required int[] HttpConnections { get; init; }
    /// <summary>
    /// wrk connections of the HTTPS runs. Fewer than plaintext's, with a longer window (<see cref="HttpsMeasure"/>): wrk
    /// opens every connection, so handshakes them all, as its window starts, and at 256 connections in 1.5 s Kestrel
    /// HTTPS here spent the whole window handshaking and completed no request.
    /// </summary>
    public required int[] HttpsConnections { get; init; }
    /// <summary>The wrk window of the HTTPS runs, in seconds.</summary>
    public double HttpsMeasure { get; init; }
    /// <summary>Concurrent clients of the handshake runs (each: connect, handshake, one request, close).</summary>
    public int HandshakeConnections { get; init; } = 16;
    public int IdleConnections { get; init; }
    public int IdleSources { get; init; } = 4;
    public bool Profiles { get; init; }
    /// <summary>Generator group: connections for GET / keep-alive from wrk -t1 and from the generator.</summary>
    public int GeneratorConnections { get; init; } = 100;
    /// <summary>Generator group: idle connections the generator opens to measure its memory per connection.</summary>
    public int GeneratorIdleConnections { get; init; }
    /// <summary>
    /// Generator group: load on the generator's process before its window. Longer than <see cref="JitWarmup"/>:
    /// the client's poller loop is still being recompiled by tiered PGO 15 s in (6 s: 19.4 µs per request, 20 s: 10.0 µs),
    /// and a user's run of 30 s or more is mostly steady state. wrk is native and needs none.
    /// </summary>
    public double GeneratorWarmup { get; init; }
    /// <summary>
    /// Proxy group: load through each proxy before its windows. Longer than <see cref="JitWarmup"/>: the netpoll
    /// proxy's tiered-compilation thread still took 0.10–0.17 s of each 4–6 s window 6–15 s in (10–25 % of the
    /// proxy's CPU) and was done by 20 s; a proxy serves for hours. HAProxy and socat are native and get the same.
    /// </summary>
    public double ProxyWarmup { get; init; }

    public static SuiteSettings For(string mode) => mode switch
    {
        "short" => new SuiteSettings
        {
            Mode = mode,
            Repetitions = 1,
            JitWarmup = 1.5,
            Warmup = 0.5,
            Measure = 1.5,
            Echo = [(1024, 1000)],
            PollerRepetitions = 1,
            PollerPlacements = [true],
            Counting = false,
            HttpConnections = [256],
            HttpsConnections = [64],
            HttpsMeasure = 5,
            IdleConnections = 2000,
            GeneratorIdleConnections = 2000,
            GeneratorWarmup = 1.5,
            ProxyWarmup = 1.5,
            Profiles = false,
        },
        "full" => new SuiteSettings
        {
            Mode = mode,
            // 5, not 3: on this shared VM one repetition's floor/Netpoll ratio moved by ±15 % from the next.
            Repetitions = 5,
            JitWarmup = 6,
            Warmup = 1,
            Measure = 4,
            Echo = [(1024, 1000), (1024, 100), (1024, 5000), (128, 100), (128, 1000)],
            PollerRepetitions = 2,
            PollerPlacements = [true, false],
            Counting = true,
            HttpConnections = [100, 1000],
            HttpsConnections = [100],
            HttpsMeasure = 10,
            IdleConnections = 10_000,
            GeneratorIdleConnections = 10_000,
            GeneratorWarmup = 20,
            ProxyWarmup = 20,
            Profiles = true,
        },
        _ => throw new ArgumentException($"unknown mode '{mode}'; use short or full."),
    };
}
