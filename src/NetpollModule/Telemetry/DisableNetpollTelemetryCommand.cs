using System.Management.Automation;

namespace Netpoll.PowerShell;

/// <summary>
/// Disable-NetpollTelemetry: stops the metrics export (after one last export) and engine-event
/// logging (after writing what is queued); their threads end and their listeners detach.
/// </summary>
[Cmdlet(VerbsLifecycle.Disable, "NetpollTelemetry", SupportsShouldProcess = true)]
[OutputType(typeof(void))]
public sealed class DisableNetpollTelemetryCommand : PSCmdlet
{
    protected override void EndProcessing()
    {
        if (ProcessTelemetry.IsActive && ShouldProcess("Netpoll telemetry (this process)", "Stop exporting metrics and logging engine events"))
        {
            ProcessTelemetry.Disable();
        }
    }
}
