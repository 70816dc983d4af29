using System.Management.Automation;

namespace Netpoll.PowerShell;

/// <summary>
/// Disable-NetpollTelemetry: stops the metrics export (after one last export) and engine-event
/// logging (after writing what is queued); their threads end and their listeners detach.
/// </summary>
[Cmdlet(VerbsLifecycle.Disable, "NetpollTelemetry", SupportsShouldProcess = true, HelpUri = HelpLinks.Telemetry)]
[OutputType(typeof(NetpollTelemetryStatus))]
public sealed class DisableNetpollTelemetryCommand : PSCmdlet
{
    /// <summary>Write the resulting telemetry status (as Enable-NetpollTelemetry -PassThru).</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void EndProcessing()
    {
        if (ProcessTelemetry.IsActive && ShouldProcess("Netpoll telemetry (this process)", "Stop exporting metrics and logging engine events"))
        {
            ProcessTelemetry.Disable();
        }

        if (PassThru)
        {
            WriteObject(ProcessTelemetry.Status);
        }
    }
}
