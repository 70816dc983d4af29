using System.Management.Automation;
using System.Runtime.Loader;
using Netpoll.Telemetry;

namespace Netpoll.PowerShell;

/// <summary>
/// The process's telemetry: at most one metrics export and one engine-event logger, shared by every
/// runspace (the meter and the event source are process-wide too). Each part is replaced as a whole
/// when its settings change; Disable-NetpollTelemetry, Remove-Module and process exit dispose both.
/// </summary>
internal static class ProcessTelemetry
{
    public static readonly TimeSpan DefaultInterval = TimeSpan.FromSeconds(10);

    private static readonly Lock Gate = new();
    private static ITelemetrySinks? s_sinks;
    private static IDisposable? s_metrics;
    private static NetpollMetricsExporter s_exporter;
    private static TimeSpan s_interval;
    private static IDisposable? s_logging;
    private static NetpollLogLevel s_logLevel = NetpollLogLevel.None;
    private static TextWriter? s_logWriter;
    private static bool s_exitHooked;

    public static NetpollTelemetryStatus Status
    {
        get
        {
            lock (Gate)
            {
                string sinksPath = s_sinks is null ? "" : Path.GetDirectoryName(s_sinks.GetType().Assembly.Location) ?? "";
                return new NetpollTelemetryStatus
                {
                    MetricsExporter = s_metrics is null ? NetpollMetricsExporter.None : s_exporter,
                    Interval = s_metrics is null ? TimeSpan.Zero : s_interval,
                    LogLevel = s_logging is null ? NetpollLogLevel.None : s_logLevel,
                    LoadContext = s_sinks is null ? "" : AssemblyLoadContext.GetLoadContext(s_sinks.GetType().Assembly)?.Name ?? "",
                    SinksPath = sinksPath,
                };
            }
        }
    }

    /// <summary>True while an export or a logger is running.</summary>
    public static bool IsActive
    {
        get
        {
            lock (Gate)
            {
                return s_metrics is not null || s_logging is not null;
            }
        }
    }

    /// <summary>Starts, restarts or (None) stops the metrics export. Same settings: nothing happens.</summary>
    public static void SetMetrics(NetpollMetricsExporter exporter, TimeSpan interval, PSModuleInfo? module)
    {
        lock (Gate)
        {
            if (s_metrics is not null && exporter == s_exporter && interval == s_interval)
            {
                return;
            }

            s_metrics?.Dispose();
            s_metrics = null;
            if (exporter != NetpollMetricsExporter.None)
            {
                s_metrics = Sinks(module).StartMetrics(exporter, interval);
                s_exporter = exporter;
                s_interval = interval;
            }

            HookProcessExit();
        }
    }

    /// <summary>Starts, restarts or (None) stops engine-event logging. Same settings: nothing happens.</summary>
    public static void SetLogging(NetpollLogLevel level, PSModuleInfo? module)
    {
        lock (Gate)
        {
            TextWriter? writer = TelemetryOutput.LogWriter;
            if (s_logging is not null && level == s_logLevel && ReferenceEquals(writer, s_logWriter))
            {
                return;
            }

            s_logging?.Dispose();
            s_logging = null;
            if (level != NetpollLogLevel.None)
            {
                s_logging = Sinks(module).StartLogging(level, writer);
                s_logLevel = level;
                s_logWriter = writer;
            }

            HookProcessExit();
        }
    }

    /// <summary>Stops both: a last export, queued log lines written, their threads ended, listeners detached.</summary>
    public static void Disable()
    {
        lock (Gate)
        {
            s_metrics?.Dispose();
            s_metrics = null;
            s_logging?.Dispose();
            s_logging = null;
            s_logWriter = null;
            HookProcessExit();
        }
    }

    private static ITelemetrySinks Sinks(PSModuleInfo? module) => s_sinks ??= TelemetrySinksLoader.Load(module);

    /// <summary>Flush at exit only while something runs; registered after the module's own hook, so servers stop (and log it) first.</summary>
    private static void HookProcessExit()
    {
        bool active = s_metrics is not null || s_logging is not null;
        if (active && !s_exitHooked)
        {
            AppDomain.CurrentDomain.ProcessExit += OnProcessExit;
            s_exitHooked = true;
        }
        else if (!active && s_exitHooked)
        {
            AppDomain.CurrentDomain.ProcessExit -= OnProcessExit;
            s_exitHooked = false;
        }
    }

    private static void OnProcessExit(object? sender, EventArgs e) => Disable();
}
