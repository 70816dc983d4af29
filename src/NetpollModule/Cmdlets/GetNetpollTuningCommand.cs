using System.Globalization;
using System.Management.Automation;
using Netpoll.PowerShell.Tuning;

namespace Netpoll.PowerShell;

/// <summary>Get-NetpollTuning: the current value of every setting that limits connection count and churn.</summary>
[Cmdlet(VerbsCommon.Get, "NetpollTuning", HelpUri = HelpLinks.Tuning)]
[OutputType(typeof(NetpollTuningValue))]
public sealed class GetNetpollTuningCommand : PSCmdlet
{
    /// <summary>Setting names or wildcards (e.g. net.ipv4.*); all when omitted. A name that matches nothing is an ObjectNotFound error.</summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(TuningSettingCompleter))]
    public string[]? Setting { get; set; }

    protected override void ProcessRecord()
    {
        ISystemAccess system = SystemAccess.Current;
        WildcardPattern[] patterns = [.. (Setting ?? ["*"]).Select(s => new WildcardPattern(s, WildcardOptions.IgnoreCase))];
        (long soft, long hard) = system.GetOpenFileLimit();
        IReadOnlyList<(string Name, string Description)> settings = TuningSettings.For(system.Platform);
        foreach (string name in (Setting ?? []).Where(n => !WildcardPattern.ContainsWildcardCharacters(n) && !settings.Any(s => string.Equals(s.Name, n, StringComparison.OrdinalIgnoreCase))))
        {
            WriteError(new ErrorRecord(
                new ItemNotFoundException($"No tuning setting is named '{name}' on {system.Platform}. The settings are: {string.Join(", ", settings.Select(s => s.Name))}."),
                ErrorIds.TuningSettingNotFound, ErrorCategory.ObjectNotFound, name));
        }

        foreach ((string name, string description) in settings)
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
