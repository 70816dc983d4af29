using System.Diagnostics;
using System.Globalization;

namespace Netpoll.Bench;

/// <summary>Reads a process's counters from /proc: CPU (utime+stime), context switches (all threads), RSS.</summary>
internal static class ProcStat
{
    private static readonly Lazy<double> s_ticksPerSecond = new(ReadClockTicks);

    public static double TicksPerSecond => s_ticksPerSecond.Value;

    /// <summary>utime+stime of the whole process (exited threads included), in seconds.</summary>
    public static double CpuSeconds(int pid)
    {
        string stat = File.ReadAllText($"/proc/{pid}/stat");
        string[] f = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        // After the command: state is field 3, so utime (field 14) is f[11] and stime (15) is f[12].
        long ticks = long.Parse(f[11], CultureInfo.InvariantCulture) + long.Parse(f[12], CultureInfo.InvariantCulture);
        return ticks / TicksPerSecond;
    }

    /// <summary>
    /// CPU seconds of a process and all its descendants, for servers that fork per connection (socat). Per
    /// process the larger of /proc/PID/stat's utime+stime (which counts exited threads, but in 10 ms ticks,
    /// so a child that ran 50 µs reads 0) and the sum of its live threads' schedstat run time (nanoseconds);
    /// plus cutime+cstime, what its exited and waited-for children used.
    /// </summary>
    public static double TreeCpuSeconds(int root)
    {
        var children = new Dictionary<int, List<int>>();
        var seconds = new Dictionary<int, double>();
        foreach (string dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out int pid))
            {
                continue;
            }

            try
            {
                string stat = File.ReadAllText(Path.Combine(dir, "stat"));
                string[] f = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                // After the command: ppid is f[1]; utime, stime, cutime, cstime are f[11..14].
                int parent = int.Parse(f[1], CultureInfo.InvariantCulture);
                double ticks = long.Parse(f[11], CultureInfo.InvariantCulture) + long.Parse(f[12], CultureInfo.InvariantCulture);
                double waited = long.Parse(f[13], CultureInfo.InvariantCulture) + long.Parse(f[14], CultureInfo.InvariantCulture);
                seconds[pid] = Math.Max(ticks / TicksPerSecond, LiveThreadsSeconds(dir)) + waited / TicksPerSecond;
                if (!children.TryGetValue(parent, out List<int>? list))
                {
                    children[parent] = list = [];
                }

                list.Add(pid);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException)
            {
                // exited between listing and reading
            }
        }

        double total = 0;
        var pending = new Stack<int>([root]);
        while (pending.TryPop(out int pid))
        {
            total += seconds.GetValueOrDefault(pid);
            foreach (int child in children.GetValueOrDefault(pid) ?? [])
            {
                pending.Push(child);
            }
        }

        return total;
    }

    /// <summary>The run time of a process's live threads, from /proc/PID/task/*/schedstat (nanoseconds on the CPU).</summary>
    private static double LiveThreadsSeconds(string processDir)
    {
        long nanoseconds = 0;
        foreach (string task in Directory.EnumerateDirectories(Path.Combine(processDir, "task")))
        {
            string text = File.ReadAllText(Path.Combine(task, "schedstat"));
            nanoseconds += long.Parse(text.AsSpan(0, text.IndexOf(' ')), CultureInfo.InvariantCulture);
        }

        return nanoseconds / 1e9;
    }

    /// <summary>Voluntary + nonvoluntary context switches summed over the live threads (/proc/PID/task/*/status).</summary>
    public static (long Voluntary, long Nonvoluntary, int Threads) ContextSwitches(int pid)
    {
        long voluntary = 0, nonvoluntary = 0;
        int threads = 0;
        foreach (string task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
        {
            try
            {
                foreach (string line in File.ReadLines(Path.Combine(task, "status")))
                {
                    if (line.StartsWith("voluntary_ctxt_switches:", StringComparison.Ordinal))
                    {
                        voluntary += ParseTail(line);
                    }
                    else if (line.StartsWith("nonvoluntary_ctxt_switches:", StringComparison.Ordinal))
                    {
                        nonvoluntary += ParseTail(line);
                    }
                }

                threads++;
            }
            catch (IOException)
            {
                // the thread exited between listing and reading
            }
        }

        return (voluntary, nonvoluntary, threads);
    }

    /// <summary>VmRSS in bytes.</summary>
    public static long RssBytes(int pid)
    {
        foreach (string line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                return ParseTail(line.Replace("kB", "", StringComparison.Ordinal)) * 1024;
            }
        }

        return 0;
    }

    /// <summary>Busy CPU seconds of the whole machine (all cores), from /proc/stat.</summary>
    public static double MachineBusySeconds()
    {
        string first = File.ReadLines("/proc/stat").First();
        long[] v = [.. first.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(s => long.Parse(s, CultureInfo.InvariantCulture))];
        // user nice system idle iowait irq softirq steal ...
        long busy = v[0] + v[1] + v[2] + v[5] + v[6] + (v.Length > 7 ? v[7] : 0);
        return busy / TicksPerSecond;
    }

    /// <summary>The 1-minute load average.</summary>
    public static double LoadAverage() => double.Parse(File.ReadAllText("/proc/loadavg").Split(' ')[0], CultureInfo.InvariantCulture);

    public static string LoadAverageLine() => string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));

    private static long ParseTail(string line) => long.Parse(line[(line.IndexOf(':') + 1)..].Trim(), CultureInfo.InvariantCulture);

    private static double ReadClockTicks()
    {
        try
        {
            using var p = Process.Start(new ProcessStartInfo("getconf", "CLK_TCK") { RedirectStandardOutput = true, UseShellExecute = false });
            string? text = p?.StandardOutput.ReadToEnd().Trim();
            p?.WaitForExit(5000);
            return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double t) && t > 0 ? t : 100;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return 100;
        }
    }
}
