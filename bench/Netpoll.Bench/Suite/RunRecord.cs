namespace Netpoll.Bench;

/// <summary>
/// One measured run, as written to results.json. Rates are over the measured window; "per round trip"
/// figures are a server counter's rate divided by the client's round-trip rate.
/// </summary>
internal sealed class RunRecord
{
    /// <summary>echo, pollers, http, https, handshake, handshake-resumed, idle, counting (perf stat pass), allocs(-http|-https) or profile.</summary>
    public string Group { get; set; } = "";
    public string Server { get; set; } = "";

    /// <summary>The load client that measured (generator group): wrk or netpoll-load; empty for the server comparisons.</summary>
    public string Client { get; set; } = "";
    public int Connections { get; set; }
    public int Size { get; set; }
    /// <summary>Pollers asked for; 0: the engine's default (PollGroup.DefaultCount).</summary>
    public int Pollers { get; set; }
    /// <summary>Server on core 0 and client on core 1 (taskset); false: both may use both cores.</summary>
    public bool Pinned { get; set; } = true;
    public int Rep { get; set; }
    public bool Ok { get; set; }
    public string? Error { get; set; }
    public string StartedAt { get; set; } = "";
    public double LoadAverage { get; set; }

    // Throughput and latency (client side)
    public double WindowSeconds { get; set; }
    public long WindowRequests { get; set; }
    public double Rps { get; set; }
    public double P50Us { get; set; }
    public double P90Us { get; set; }
    public double P99Us { get; set; }
    public double P999Us { get; set; }
    public double MaxUs { get; set; }
    public long Errors { get; set; }
    public int ConnectionsOpened { get; set; }
    /// <summary>Handshake runs: how many of the window's handshakes resumed a session.</summary>
    public long? Resumed { get; set; }

    // Server cost (from /proc and the server's own GC counters)
    public double ServerCpu { get; set; }
    public double ClientCpu { get; set; }
    /// <summary>CPU (cores) used by everything else on the machine during the window: noise.</summary>
    public double ForeignCpu { get; set; }
    public double RtPerCpuSecond { get; set; }

    /// <summary>Generator group: requests per CPU-second of the client process (the load tool's own cost).</summary>
    public double? RtPerClientCpuSecond { get; set; }
    public double CtxPerRt { get; set; }
    public double VoluntaryCtxPerRt { get; set; }
    public double NonvoluntaryCtxPerRt { get; set; }
    public double? AllocBytesPerRt { get; set; }

    /// <summary>Generator group: JIT compile time inside the window (all threads, ms): tier-up the run still pays for.</summary>
    public double? JitMsInWindow { get; set; }
    public long? Gen0Collections { get; set; }
    public int ServerThreads { get; set; }

    // Counting pass (perf stat on the server): per round trip
    public Dictionary<string, double>? SyscallsPerRt { get; set; }
    public double? PerfCtxPerRt { get; set; }

    // Idle
    public long? RssDeltaBytes { get; set; }
    public long? ManagedDeltaBytes { get; set; }
    public long? HeapDeltaBytes { get; set; }
    public double? RssPerConnection { get; set; }
    public double? ManagedPerConnection { get; set; }
    public double? HeapPerConnection { get; set; }
    public long? ServerConnections { get; set; }
    public long? RentedBlocks { get; set; }
    public long? RentedBytes { get; set; }
    public long? RetainedBytes { get; set; }

    public string? ProfileFile { get; set; }

    /// <summary>Allocations pass: bytes per round trip by type, from the runtime's AllocationTick samples (~1 per 100 KB).</summary>
    public Dictionary<string, double>? AllocationsPerRt { get; set; }
}

/// <summary>results.json: the machine, the command and every run.</summary>
internal sealed class SuiteResults
{
    public string Mode { get; set; } = "";
    public string Command { get; set; } = "";
    public string Date { get; set; } = "";
    public string Machine { get; set; } = "";
    public string Kernel { get; set; } = "";
    public string Runtime { get; set; } = "";
    public string Sdk { get; set; } = "";
    public string Commit { get; set; } = "";
    public int Cores { get; set; }
    public string LoadBefore { get; set; } = "";
    public string LoadAfter { get; set; } = "";
    public double DurationSeconds { get; set; }
    public double JitWarmupSeconds { get; set; }
    public double WarmupSeconds { get; set; }
    public double MeasureSeconds { get; set; }
    public int Repetitions { get; set; }
    public List<RunRecord> Runs { get; set; } = [];
}
