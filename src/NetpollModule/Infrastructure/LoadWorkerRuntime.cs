namespace Netpoll.PowerShell;

/// <summary>
/// Runtime settings the netpoll-load worker starts with. They are environment variables because the runtime
/// reads them only from there (runtimeconfig.json names only TieredPGO, TieredCompilation and QuickJit); a
/// value the user already set in the environment is kept.
/// </summary>
internal static class LoadWorkerRuntime
{
    /// <summary>
    /// <c>TC_CallCountingDelayMs=0</c>: tiered compilation starts counting calls at once instead of after 100 ms
    /// without new tier-0 code (1 s on a one-CPU affinity), a wait that each late first call (a connect, a
    /// progress sample) starts over. A load run keeps meeting such calls, so its hot path ran instrumented tier-0
    /// code for many seconds: 6–16 s into a one-poller <c>GET /</c> run, 2.0–2.8 µs of user CPU per request
    /// with it against 4.5–6.2 µs without (docs/benchmarks.md, "JIT and tiered PGO"). PGO stays on: its tier-1
    /// code is the fastest once compiled.
    /// </summary>
    public static readonly IReadOnlyList<KeyValuePair<string, string>> Settings =
    [
        new("DOTNET_TC_CallCountingDelayMs", "0"),
    ];

    /// <summary>Adds each setting the environment does not already name.</summary>
    public static void Apply(IDictionary<string, string?> environment)
    {
        foreach ((string name, string value) in Settings)
        {
            environment.TryAdd(name, value);
        }
    }
}
