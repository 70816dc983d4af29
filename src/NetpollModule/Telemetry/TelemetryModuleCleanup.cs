using System.Management.Automation;

namespace Netpoll.PowerShell;

/// <summary>Remove-Module Netpoll stops telemetry too, so no export thread or listener outlives the module.</summary>
public sealed class TelemetryModuleCleanup : IModuleAssemblyCleanup
{
    public void OnRemove(PSModuleInfo psModuleInfo) => ProcessTelemetry.Disable();
}
