namespace Netpoll.PowerShell.Tests;

/// <summary>
/// The names of this process's threads as the kernel has them (Linux truncates to 15 characters; .NET
/// sets them from Thread.Name). The sinks' threads are the OpenTelemetry reader's and the console logger's.
/// </summary>
internal static class TelemetryThreads
{
    public const string MetricReader = "OpenTelemetry-P"; // OpenTelemetry-PeriodicExportingMetricReader-…
    public const string ConsoleLogger = "Console logger "; // Console logger queue processing thread

    public static int Count(string name) => Names().Count(n => n == name);

    public static IEnumerable<string> Names()
    {
        foreach (string task in Directory.EnumerateDirectories("/proc/self/task"))
        {
            string name;
            try
            {
                name = File.ReadAllText(Path.Combine(task, "comm")).TrimEnd('\n');
            }
            catch (IOException)
            {
                continue; // the thread ended while we looked
            }

            yield return name;
        }
    }

    /// <summary>Waits (bounded) until <paramref name="name"/> has <paramref name="count"/> threads.</summary>
    public static void WaitForCount(string name, int count, TimeSpan timeout)
    {
        Eventually.Until(() => Count(name) == count, $"{count} thread(s) are named '{name}'", timeout, () => $"have {Count(name)}: {string.Join(", ", Names())}");
    }
}
