namespace Netpoll.Bench;

/// <summary>The runs of one scenario (same group, server, load client, size, connections, pollers, pinning): medians and spread.</summary>
internal sealed class Aggregate
{
    private Aggregate(IReadOnlyList<RunRecord> runs) => Runs = runs;

    public IReadOnlyList<RunRecord> Runs { get; }

    public RunRecord First => Runs[0];

    public int Count => Runs.Count;

    public Stat Rps => Of(r => r.Rps);
    public Stat RtPerCpu => Of(r => r.RtPerCpuSecond);
    public Stat RtPerClientCpu => Of(r => r.RtPerClientCpuSecond ?? double.NaN);
    public Stat ServerCpu => Of(r => r.ServerCpu);
    public Stat ClientCpu => Of(r => r.ClientCpu);
    public Stat ForeignCpu => Of(r => r.ForeignCpu);
    public Stat P50 => Of(r => r.P50Us);
    public Stat P99 => Of(r => r.P99Us);
    public Stat P999 => Of(r => r.P999Us);
    public Stat Ctx => Of(r => r.CtxPerRt);
    public Stat? Alloc => Runs.All(r => r.AllocBytesPerRt.HasValue) ? Of(r => r.AllocBytesPerRt!.Value) : null;
    public long Errors => Runs.Sum(r => r.Errors);

    public Stat Of(Func<RunRecord, double> pick) => Stat.From(Runs.Select(pick));

    /// <summary>Runs during which the rest of the machine used more than this many cores are noisy.</summary>
    public const double NoisyForeignCpu = 0.5;

    /// <summary>
    /// Groups the successful runs by scenario. A noisy run (see <see cref="NoisyForeignCpu"/>) is left out of its
    /// scenario's medians when the scenario has at least one quiet run; it stays in results.json.
    /// </summary>
    public static List<Aggregate> Group(IEnumerable<RunRecord> runs) =>
        [.. runs.Where(r => r.Ok)
            .GroupBy(r => (r.Group, r.Server, r.Client, r.Size, r.Connections, r.Pollers, r.Pinned))
            .Select(g => new Aggregate(g.Any(r => !IsNoisy(r)) ? [.. g.Where(r => !IsNoisy(r))] : [.. g]))];

    public static bool IsNoisy(RunRecord r) => r.Group != "idle" && r.ForeignCpu > NoisyForeignCpu;
}

/// <summary>Median, minimum and maximum of one metric over repetitions.</summary>
internal readonly record struct Stat(double Median, double Min, double Max, int N)
{
    public double SpreadPercent => Median == 0 ? 0 : (Max - Min) / Median * 100;

    public static Stat From(IEnumerable<double> values)
    {
        double[] v = [.. values.OrderBy(x => x)];
        if (v.Length == 0)
        {
            return new Stat(double.NaN, double.NaN, double.NaN, 0);
        }

        double median = v.Length % 2 == 1 ? v[v.Length / 2] : (v[v.Length / 2 - 1] + v[v.Length / 2]) / 2;
        return new Stat(median, v[0], v[^1], v.Length);
    }
}
