using System.Management.Automation;
using Netpoll.PowerShell.Tuning;

namespace Netpoll.PowerShell;

/// <summary>
/// Set-NetpollTuning: changes the settings a connection test needs, from a profile or a connection
/// count. With -Connections it changes exactly what Test-NetpollTuning flags for the same -Connections,
/// -Role and -SourceAddressCount (one advisor decides both), to the value that check names, and warns
/// when the count is out of reach whatever it changes. Snapshots every value it will touch first;
/// never makes a value worse unless -Force; reports what it could not change and why. ConfirmImpact
/// High: -WhatIf prints the exact diff.
/// </summary>
[Cmdlet(VerbsCommon.Set, "NetpollTuning", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High, DefaultParameterSetName = ConnectionsSet, HelpUri = HelpLinks.Tuning)]
[OutputType(typeof(NetpollTuningChange))]
public sealed class SetNetpollTuningCommand : PSCmdlet
{
    private const string ProfileSet = "Profile";
    private const string ConnectionsSet = "Connections";

    [Parameter(Mandatory = true, ParameterSetName = ProfileSet)]
    [ValidateSet("C10K", "C100K", "C1M")]
    public string? Profile { get; set; }

    [Parameter(Mandatory = true, Position = 0, ParameterSetName = ConnectionsSet)]
    [ValidateRange(1, 100_000_000)]
    public int Connections { get; set; }

    [Parameter(ParameterSetName = ConnectionsSet)]
    public TuningRole Role { get; set; } = TuningRole.Server;

    /// <summary>Source addresses the client side spreads over, as Test-NetpollTuning -SourceAddressCount.</summary>
    [Parameter(ParameterSetName = ConnectionsSet)]
    [ValidateRange(1, 256)]
    public int SourceAddressCount { get; set; } = 1;

    /// <summary>Process (open-file limit only), Runtime (plus sysctls now), Persistent (plus drop-in files).</summary>
    [Parameter]
    public TuningScope Scope { get; set; } = TuningScope.Runtime;

    /// <summary>Also write values worse than the current ones (a profile's exact values).</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void EndProcessing()
    {
        ISystemAccess system = SystemAccess.Current;
        IReadOnlyList<TuningTarget> targets;
        bool limitsWarned = false; // the out-of-reach warning already says why the open-file limits stay
        if (ParameterSetName == ProfileSet)
        {
            string directory = TuningProfile.DefaultDirectory(MyInvocation.MyCommand.Module?.ModuleBase ?? Environment.CurrentDirectory);
            TuningProfile profile;
            try
            {
                profile = TuningProfile.Load(directory, Profile!);
            }
            catch (Exception ex) when (ex is FileNotFoundException or InvalidDataException)
            {
                ThrowTerminatingError(new ErrorRecord(ex, ErrorIds.TuningProfileNotFound, ErrorCategory.ObjectNotFound, Profile));
                return;
            }

            if (!profile.Targets.TryGetValue(system.Platform, out IReadOnlyList<TuningTarget>? forPlatform))
            {
                ThrowTerminatingError(new ErrorRecord(new PlatformNotSupportedException($"Profile {profile.Name} has no {system.Platform} section."), ErrorIds.TuningProfileNotFound, ErrorCategory.ObjectNotFound, Profile));
                return;
            }

            targets = forPlatform;
        }
        else
        {
            targets = TuningAdvisor.Targets(TuningAdvisor.Check(system, Connections, Role, SourceAddressCount, out NetpollTuningSummary summary));
            if (summary.OutOfReach.Length > 0)
            {
                WriteWarning(summary.OutOfReach);
                limitsWarned = true;
            }
        }

        IReadOnlyList<TuningApplier.Plan> plans = TuningApplier.PlanChanges(system, targets, Scope, Force);
        var confirmed = new List<TuningApplier.Plan>();
        bool whatIf = MyInvocation.BoundParameters.TryGetValue("WhatIf", out object? asked)
            ? asked is SwitchParameter { IsPresent: true }
            : LanguagePrimitives.IsTrue(SessionState.PSVariable.GetValue("WhatIfPreference"));
        foreach (TuningApplier.Plan plan in plans)
        {
            if (plan.SkipReason is not null)
            {
                if (whatIf && plan.SkipReason.Length > 0 && !(limitsWarned && plan.Setting is TuningSettings.NoFileSoft or TuningSettings.NoFileHard))
                {
                    // A run reports these as Skipped; -WhatIf prints only changes, so without this a profile's limit that
                    // cannot be raised (or a sysctl under -Scope Process) went unmentioned.
                    string wanted = plan.After == plan.Before ? "" : $" (wanted {plan.After})";
                    WriteWarning($"{plan.Setting} would stay {plan.Before}{wanted}: {plan.SkipReason}");
                }

                confirmed.Add(plan);
            }
            else if (ShouldProcess(plan.Setting, $"Set from {plan.Before} to {plan.After} ({Scope})"))
            {
                confirmed.Add(plan);
            }
        }

        if (Scope == TuningScope.Persistent && !ShouldProcess(system.Platform == TuningPlatform.Linux ? $"{TuningApplier.LinuxSysctlDropIn}, {TuningApplier.LinuxLimitsDropIn}" : TuningApplier.MacLaunchDaemon, "Write drop-in file"))
        {
            return;
        }

        if (!confirmed.Any(p => p.SkipReason is null))
        {
            // Nothing to change (or everything declined, or -WhatIf): report without writing a snapshot.
            if (!MyInvocation.BoundParameters.ContainsKey("WhatIf"))
            {
                WriteObject(TuningApplier.Apply(system, [.. confirmed.Where(p => p.SkipReason is not null)], TuningScope.Process), enumerateCollection: true);
            }

            return;
        }

        IReadOnlyList<NetpollTuningChange> changes = TuningApplier.Apply(system, confirmed, Scope);
        foreach (NetpollTuningChange change in changes)
        {
            if (change.Status == TuningChangeStatus.Failed)
            {
                WriteWarning($"{change.Setting} was not changed: {change.Reason}");
            }
        }

        WriteObject(changes, enumerateCollection: true);
    }
}
