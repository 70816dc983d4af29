using System.Diagnostics.Metrics;
using System.Management.Automation;
using System.Runtime.Loader;
using Netpoll.Diagnostics;
using Netpoll.Telemetry;

namespace Netpoll.PowerShell.Tests;

/// <summary>
/// Enabling telemetry starts exactly one export and one logger with their threads and listeners;
/// Disable-NetpollTelemetry and Remove-Module take all of it away again.
/// </summary>
public class TelemetryLifecycleTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    [Fact]
    public void Disable_leaves_no_export_thread_logger_thread_meter_listener_or_event_listener()
    {
        if (!OperatingSystem.IsLinux())
        {
            return; // thread names are read from /proc
        }

        using var ps = new PowerShellSession();
        ps.Single<NetpollServer>("Start-NetpollServer -Name lifecycle-warmup"); // the meter and its instruments exist from the first server on
        using var instruments = NetpollInstruments.Watch();
        Assert.Equal(0, TelemetryThreads.Count(TelemetryThreads.MetricReader));
        Assert.Equal(0, TelemetryThreads.Count(TelemetryThreads.ConsoleLogger));
        Assert.DoesNotContain(instruments.All, i => i.Enabled);
        Assert.False(EngineEventSourceEnabled());

        // The real console sinks (no injected writer); this process's console is borrowed for the test.
        TextWriter console = Console.Out;
        var captured = new StringWriter();
        TextWriter synchronized = TextWriter.Synchronized(captured);
        Console.SetOut(synchronized);

        // The exporter's and logger's threads write while this thread reads: a read takes the lock the synchronized
        // writer's methods take (MethodImplOptions.Synchronized locks the instance), or StringBuilder.ToString can
        // meet a chunk being appended (it threw ArgumentOutOfRangeException once in ./test.sh).
        string Captured()
        {
            lock (synchronized)
            {
                return captured.ToString();
            }
        }
        try
        {
            ps.Run("Enable-NetpollTelemetry -MetricsExporter Console -Interval 0.2 -LogLevel Debug");
            ps.Run("Start-NetpollServer -Name lifecycle");
            TelemetryThreads.WaitForCount(TelemetryThreads.MetricReader, 1, Bound);
            TelemetryThreads.WaitForCount(TelemetryThreads.ConsoleLogger, 1, Bound);
            Assert.All(instruments.All, i => Assert.True(i.Enabled, $"{i.Name} has no listener while exporting"));
            Assert.True(EngineEventSourceEnabled());
            Eventually.Until(() => Captured().Contains("netpoll lifecycle:", StringComparison.Ordinal), "an export prints the running server's line");

            ps.Run("Stop-NetpollServer -Name lifecycle");
            ps.Run("Disable-NetpollTelemetry");

            TelemetryThreads.WaitForCount(TelemetryThreads.MetricReader, 0, Bound);
            TelemetryThreads.WaitForCount(TelemetryThreads.ConsoleLogger, 0, Bound);
        }
        finally
        {
            ProcessTelemetry.Disable();
            Console.SetOut(console);
        }

        Assert.Empty(ps.Errors);
        Assert.DoesNotContain(instruments.All, i => i.Enabled);
        Assert.False(EngineEventSourceEnabled());
        NetpollTelemetryStatus status = ps.Single<NetpollTelemetryStatus>("Get-NetpollTelemetry");
        Assert.Equal((NetpollMetricsExporter.None, TimeSpan.Zero, NetpollLogLevel.None), (status.MetricsExporter, status.Interval, status.LogLevel));

        // Both sinks wrote through their console libraries while they ran.
        string text = Captured();
        Assert.Matches(@"netpoll lifecycle: \d+ connections", text);
        Assert.Matches(@"info: Netpoll\.Engine\[1\] Server lifecycle started on ", text);
        Assert.Matches(@"info: Netpoll\.Engine\[2\] Server lifecycle stopped ", text);
    }

    [Fact]
    public void Enabling_twice_keeps_one_export_and_new_settings_replace_it()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        using var ps = new PowerShellSession();
        TextWriter console = Console.Out;
        Console.SetOut(TextWriter.Null);
        try
        {
            ps.Run("Enable-NetpollTelemetry -MetricsExporter Console -Interval 30");
            ps.Run("Enable-NetpollTelemetry -MetricsExporter Console -Interval 30");
            TelemetryThreads.WaitForCount(TelemetryThreads.MetricReader, 1, Bound);
            NetpollTelemetryStatus replaced = ps.Single<NetpollTelemetryStatus>("Enable-NetpollTelemetry -Interval 20 -PassThru");
            Assert.Equal((NetpollMetricsExporter.Console, TimeSpan.FromSeconds(20), NetpollLogLevel.None), (replaced.MetricsExporter, replaced.Interval, replaced.LogLevel));
            TelemetryThreads.WaitForCount(TelemetryThreads.MetricReader, 1, Bound);

            // A server started with -MetricsExporter keeps the export that runs, at its interval.
            ps.Run("Start-NetpollServer -Name lifecycle-keep -MetricsExporter Console");
            Assert.Equal(TimeSpan.FromSeconds(20), ProcessTelemetry.Status.Interval);
            ps.Run("Enable-NetpollTelemetry -MetricsExporter None");
            TelemetryThreads.WaitForCount(TelemetryThreads.MetricReader, 0, Bound);
        }
        finally
        {
            ProcessTelemetry.Disable();
            Console.SetOut(console);
        }

        Assert.Empty(ps.Errors);
    }

    [Fact]
    public void Removing_the_module_stops_telemetry()
    {
        using var ps = new PowerShellSession();
        using var capture = new TelemetryLogCapture();
        ps.Run("Enable-NetpollTelemetry -LogLevel Information");
        Assert.True(ProcessTelemetry.IsActive);
        ps.Run("Remove-Module Netpoll");
        Assert.False(ProcessTelemetry.IsActive);
        Assert.False(EngineEventSourceEnabled());
        ps.Run($"Import-Module '{PowerShellSession.ManifestPath}'");
    }

    [Fact]
    public void The_sinks_load_from_the_staged_telemetry_folder_into_their_own_load_context()
    {
        using var ps = new PowerShellSession();
        using var capture = new TelemetryLogCapture();
        TextWriter console = Console.Out;
        Console.SetOut(TextWriter.Null);
        NetpollTelemetryStatus status;
        try
        {
            // Both sinks, so this test loads OpenTelemetry itself (logging alone does not; alone, it failed on that).
            status = ps.Single<NetpollTelemetryStatus>("Enable-NetpollTelemetry -MetricsExporter Console -Interval 30 -LogLevel Error -PassThru");
        }
        finally
        {
            ProcessTelemetry.Disable();
            Console.SetOut(console);
        }

        Assert.Equal("Netpoll.Telemetry", status.LoadContext);
        Assert.Equal(Path.GetFullPath(TelemetryTestArtifacts.StagedTelemetryFolder), Path.GetFullPath(status.SinksPath));
        AssemblyLoadContext context = Assert.Single(AssemblyLoadContext.All, c => c.Name == "Netpoll.Telemetry");
        string[] names = [.. context.Assemblies.Select(a => a.GetName().Name!)];
        Assert.Contains("OpenTelemetry", names);
        Assert.Contains("Microsoft.Extensions.Logging.Console", names);
        // Everything in it came from the folder; the bridge, the engine and the framework are the default context's.
        Assert.All(context.Assemblies, a => Assert.Equal(Path.GetFullPath(status.SinksPath), Path.GetDirectoryName(a.Location)));
        Assert.Same(AssemblyLoadContext.Default, AssemblyLoadContext.GetLoadContext(typeof(ITelemetrySinks).Assembly));
        Assert.DoesNotContain(AssemblyLoadContext.Default.Assemblies, a => a.GetName().Name == "Netpoll.Telemetry.Sinks");
    }

    [Fact]
    public void WhatIf_changes_nothing_and_a_too_short_interval_is_refused_at_binding()
    {
        using var ps = new PowerShellSession();
        ps.Run("Enable-NetpollTelemetry -MetricsExporter Console -LogLevel Debug -WhatIf");
        Assert.False(ProcessTelemetry.IsActive);

        ErrorRecord badLevel = ps.SingleError("Enable-NetpollTelemetry -LogLevel Loud");
        Assert.IsType<ParameterBindingException>(badLevel.Exception, exactMatch: false);
        Assert.Contains("Trace", badLevel.Exception.Message, StringComparison.Ordinal);
        ErrorRecord tooShort = ps.SingleError("Enable-NetpollTelemetry -Interval 0.01");
        Assert.Equal("ParameterArgumentValidationError,Netpoll.PowerShell.EnableNetpollTelemetryCommand", tooShort.FullyQualifiedErrorId);
        Assert.Contains("0.1 s up to 86400 s", tooShort.Exception.Message, StringComparison.Ordinal);
        Assert.False(ProcessTelemetry.IsActive);
    }

    /// <summary>The Netpoll meter's instruments, seen through a listener that enables none of them.</summary>
    private sealed class NetpollInstruments : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly List<Instrument> _instruments = [];

        public IReadOnlyList<Instrument> All
        {
            get
            {
                lock (_instruments)
                {
                    return [.. _instruments];
                }
            }
        }

        public static NetpollInstruments Watch()
        {
            var watch = new NetpollInstruments();
            watch._listener.InstrumentPublished = (instrument, _) =>
            {
                if (instrument.Meter.Name == NetpollDiagnostics.MeterName)
                {
                    lock (watch._instruments)
                    {
                        watch._instruments.Add(instrument);
                    }
                }
            };
            watch._listener.Start();
            Assert.NotEmpty(watch.All);
            return watch;
        }

        public void Dispose() => _listener.Dispose();
    }

    /// <summary>Whether anyone listens to the engine's (internal) EventSource, found by its public name; false before it exists.</summary>
    private static bool EngineEventSourceEnabled() =>
        System.Diagnostics.Tracing.EventSource.GetSources().Any(s => s.Name == NetpollDiagnostics.EventSourceName && s.IsEnabled());
}
