using System.Management.Automation;
using Netpoll.PowerShell.Tuning;

namespace Netpoll.PowerShell;

/// <summary>
/// Test-NetpollTuning: checks every limiting setting against a planned connection count and emits
/// one NetpollTuningCheck per setting (one type, so Export-Csv and Format-Table stay clean); -Summary
/// emits the verdict instead (the most connections the machine allows and the setting that binds),
/// -Quiet only $true or $false. Warns when the count is out of reach even after Set-NetpollTuning.
/// Needs no root.
/// </summary>
[Cmdlet(VerbsDiagnostic.Test, "NetpollTuning", DefaultParameterSetName = ChecksSet, HelpUri = HelpLinks.Tuning)]
[OutputType(typeof(NetpollTuningCheck), ParameterSetName = [ChecksSet])]
[OutputType(typeof(NetpollTuningSummary), ParameterSetName = [SummarySet])]
[OutputType(typeof(bool), ParameterSetName = [QuietSet])]
public sealed class TestNetpollTuningCommand : PSCmdlet
{
    private const string ChecksSet = "Checks";
    private const string SummarySet = "Summary";
    private const string QuietSet = "Quiet";

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

    /// <summary>Emit the verdict (NetpollTuningSummary) instead of the checks.</summary>
    [Parameter(Mandatory = true, ParameterSetName = SummarySet)]
    public SwitchParameter Summary { get; set; }

    /// <summary>Return only $true (no check fails) or $false.</summary>
    [Parameter(Mandatory = true, ParameterSetName = QuietSet)]
    public SwitchParameter Quiet { get; set; }

    protected override void EndProcessing()
    {
        IReadOnlyList<NetpollTuningCheck> checks = TuningAdvisor.Check(SystemAccess.Current, Connections, Role, SourceAddressCount, out NetpollTuningSummary summary);
        switch (ParameterSetName)
        {
            case QuietSet:
                WriteObject(summary.Failed == 0);
                return;
            case SummarySet:
                WriteObject(summary);
                break;
            default:
                WriteObject(checks, enumerateCollection: true);
                break;
        }

        if (summary.OutOfReach.Length > 0)
        {
            WriteWarning(summary.OutOfReach);
        }
    }
}
