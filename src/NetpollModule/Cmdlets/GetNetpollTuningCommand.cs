using System.Globalization;
using System.Management.Automation;
using Netpoll.PowerShell.Tuning;

namespace Netpoll.PowerShell;

/// <summary>Get-NetpollTuning: the current value of every setting that limits connection count and churn.</summary>
[Cmdlet(VerbsCommon.Get, "NetpollTuning")]
[OutputType(typeof(NetpollTuningValue))]
public sealed class GetNetpollTuningCommand : PSCmdlet
{
    /// <summary>Setting names or wildcards (e.g. net.ipv4.*); all when omitted.</summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string[]? Setting { get; set; }

    protected override void ProcessRecord()
    {
        ISystemAccess system = SystemAccess.Current;
        WildcardPattern[] patterns = [.. (Setting ?? ["*"]).Select(s => new WildcardPattern(s, WildcardOptions.IgnoreCase))];
        (long soft, long hard) = system.GetOpenFileLimit();
        foreach ((string name, string description) in TuningSettings.For(system.Platform))
        {
            if (!patterns.Any(p => p.IsMatch(name)))
            {
                continue;
            }

            (string? value, string source) = name switch
            {
                TuningSettings.NoFileSoft => (soft.ToString(CultureInfo.InvariantCulture), "getrlimit(RLIMIT_NOFILE) of this process"),
                TuningSettings.NoFileHard => (hard.ToString(CultureInfo.InvariantCulture), "getrlimit(RLIMIT_NOFILE) of this process"),
                _ => (system.ReadSysctl(name), system.SysctlSource(name)),
            };
            WriteObject(new NetpollTuningValue { Setting = name, Value = value, Source = source, Description = description, Platform = system.Platform });
        }
    }
}
