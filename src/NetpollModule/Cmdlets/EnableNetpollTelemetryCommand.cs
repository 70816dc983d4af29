using System.Globalization;
using System.Management.Automation;
using Netpoll.Telemetry;

namespace Netpoll.PowerShell;

/// <summary>
/// Enable-NetpollTelemetry: exports the Netpoll meter through OpenTelemetry's console exporter and/or
/// logs engine events through Microsoft.Extensions.Logging.Console, for the whole process. A part not
/// named is left as it is; with no parameter both start (Console every 10 s, Information).
/// </summary>
[Cmdlet(VerbsLifecycle.Enable, "NetpollTelemetry", SupportsShouldProcess = true, HelpUri = HelpLinks.Telemetry)]
[OutputType(typeof(NetpollTelemetryStatus))]
public sealed class EnableNetpollTelemetryCommand : PSCmdlet
{
    /// <summary>Console exports the meter; None stops the export.</summary>
    [Parameter]
    public NetpollMetricsExporter MetricsExporter { get; set; } = NetpollMetricsExporter.Console;

    /// <summary>Time between exports (seconds or a TimeSpan), 0.1 s to one day; given alone, it starts or retimes the Console export.</summary>
    [Parameter]
    [TimeSpanArgument(ParameterName = nameof(Interval))]
    [ValidateTimeSpanRange(MinSeconds = 0.1, MaxSeconds = 86400)]
    public TimeSpan Interval { get; set; } = ProcessTelemetry.DefaultInterval;

    /// <summary>Lowest severity of engine events to log; None stops logging.</summary>
    [Parameter]
    public NetpollLogLevel LogLevel { get; set; } = NetpollLogLevel.Information;

    /// <summary>Write the resulting telemetry status.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void EndProcessing()
    {
        bool metricsNamed = MyInvocation.BoundParameters.ContainsKey(nameof(MetricsExporter)) || MyInvocation.BoundParameters.ContainsKey(nameof(Interval));
        bool loggingNamed = MyInvocation.BoundParameters.ContainsKey(nameof(LogLevel));
        bool both = !metricsNamed && !loggingNamed;
        var changes = new List<string>();
        if (metricsNamed || both)
        {
            changes.Add(MetricsExporter == NetpollMetricsExporter.None
                ? "stop exporting metrics"
                : string.Create(CultureInfo.InvariantCulture, $"export the Netpoll meter to {MetricsExporter} every {Interval.TotalSeconds} s"));
        }

        if (loggingNamed || both)
        {
            changes.Add(LogLevel == NetpollLogLevel.None ? "stop logging engine events" : $"log engine events at {LogLevel} and above");
        }

        if (!ShouldProcess("Netpoll telemetry (this process)", string.Join("; ", changes)))
        {
            return;
        }

        try
        {
            if (metricsNamed || both)
            {
                ProcessTelemetry.SetMetrics(MetricsExporter, Interval, MyInvocation.MyCommand.Module);
            }

            if (loggingNamed || both)
            {
                ProcessTelemetry.SetLogging(LogLevel, MyInvocation.MyCommand.Module);
            }
        }
        catch (TelemetryUnavailableException ex)
        {
            ThrowTerminatingError(TelemetryErrors.Unavailable(ex));
        }

        if (PassThru)
        {
            WriteObject(ProcessTelemetry.Status);
        }
    }
}
