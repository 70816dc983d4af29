using System.Management.Automation;
using Netpoll.Telemetry;

namespace Netpoll.PowerShell;

/// <summary>Start-NetpollServer's -MetricsExporter and -LogLevel: the same process-wide switches as Enable-NetpollTelemetry.</summary>
internal static class ServerTelemetryParameters
{
    /// <summary>Applies whichever of the two the user named, before the server starts (so its start is logged).</summary>
    public static void Apply(PSCmdlet cmdlet, NetpollMetricsExporter exporter, NetpollLogLevel level)
    {
        try
        {
            if (cmdlet.MyInvocation.BoundParameters.ContainsKey("MetricsExporter"))
            {
                // An export already running to the same exporter keeps its interval (Enable-NetpollTelemetry -Interval).
                NetpollTelemetryStatus current = ProcessTelemetry.Status;
                TimeSpan interval = current.MetricsExporter == exporter ? current.Interval : ProcessTelemetry.DefaultInterval;
                ProcessTelemetry.SetMetrics(exporter, interval, cmdlet.MyInvocation.MyCommand.Module);
            }

            if (cmdlet.MyInvocation.BoundParameters.ContainsKey("LogLevel"))
            {
                ProcessTelemetry.SetLogging(level, cmdlet.MyInvocation.MyCommand.Module);
            }
        }
        catch (TelemetryUnavailableException ex)
        {
            cmdlet.ThrowTerminatingError(TelemetryErrors.Unavailable(ex));
        }
    }
}
