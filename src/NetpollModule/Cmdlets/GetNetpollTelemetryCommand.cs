using System.Management.Automation;

namespace Netpoll.PowerShell;

/// <summary>Get-NetpollTelemetry: what this process exports and logs, and where the sinks were loaded.</summary>
[Cmdlet(VerbsCommon.Get, "NetpollTelemetry", HelpUri = HelpLinks.Telemetry)]
[OutputType(typeof(NetpollTelemetryStatus))]
public sealed class GetNetpollTelemetryCommand : PSCmdlet
{
    protected override void EndProcessing() => WriteObject(ProcessTelemetry.Status);
}
