using System.Management.Automation;

namespace Netpoll.PowerShell;

/// <summary>The telemetry cmdlets' errors (ids in <see cref="ErrorIds"/>).</summary>
internal static class TelemetryErrors
{
    public static ErrorRecord Unavailable(TelemetryUnavailableException ex) =>
        new(ex, ErrorIds.TelemetryUnavailable, ErrorCategory.ResourceUnavailable, TelemetrySinksLoader.FolderName);
}
