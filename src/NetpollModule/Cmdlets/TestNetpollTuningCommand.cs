using System.Management.Automation;
using Netpoll.PowerShell.Tuning;

namespace Netpoll.PowerShell;

/// <summary>
/// Test-NetpollTuning: checks every limiting setting against a planned connection count, then emits a
/// summary with the most connections the machine allows and the setting that binds. Needs no root.
/// </summary>
[Cmdlet(VerbsDiagnostic.Test, "NetpollTuning")]
[OutputType(typeof(NetpollTuningCheck), typeof(NetpollTuningSummary), typeof(bool))]
public sealed class TestNetpollTuningCommand : PSCmdlet
{
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateRange(1, 100_000_000)]
    public int Connections { get; set; }

    /// <summary>Server (accepts), Client (opens), or InProcess (both in this process: 2 fds per connection).</summary>
    [Parameter]
    public TuningRole Role { get; set; } = TuningRole.Server;

    /// <summary>Source addresses the client side spreads over (each has its own ephemeral ports).</summary>
    [Parameter]
    [ValidateRange(1, 256)]
    public int SourceAddressCount { get; set; } = 1;

    /// <summary>Return only $true (no check fails) or $false.</summary>
    [Parameter]
    public SwitchParameter Quiet { get; set; }

    protected override void EndProcessing()
    {
        IReadOnlyList<NetpollTuningCheck> checks = TuningAdvisor.Check(SystemAccess.Current, Connections, Role, SourceAddressCount, out NetpollTuningSummary summary);
        if (Quiet)
        {
            WriteObject(summary.Failed == 0);
            return;
        }

        WriteObject(checks, enumerateCollection: true);
        WriteObject(summary);
    }
}
