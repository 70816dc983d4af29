using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;

namespace Netpoll.PowerShell.Tuning;

/// <summary>Tab completion of Get-NetpollTuning -Setting with this platform's setting names.</summary>
public sealed class TuningSettingCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        string prefix = (wordToComplete ?? "").Trim('\'', '"');
        foreach ((string name, string description) in TuningSettings.For(SystemAccess.Current.Platform))
        {
            if (name.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            {
                yield return new CompletionResult(name, name, CompletionResultType.ParameterValue, description);
            }
        }
    }
}
