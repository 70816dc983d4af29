using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;

namespace Netpoll.PowerShell;

/// <summary>Tab completion of live server names for -Name.</summary>
public sealed class ServerNameCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        string prefix = (wordToComplete ?? "").Trim('\'', '"');
        foreach (NetpollServer server in ServerRegistry.All)
        {
            if (server.Name.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            {
                string text = server.Name.Contains(' ', StringComparison.Ordinal) ? $"'{server.Name}'" : server.Name;
                yield return new CompletionResult(text, server.Name, CompletionResultType.ParameterValue, $"{server.Protocol} on {server.EndPoint}");
            }
        }
    }
}
