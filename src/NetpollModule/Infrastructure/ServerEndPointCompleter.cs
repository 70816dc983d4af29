using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;

namespace Netpoll.PowerShell;

/// <summary>Tab completion of -Target with the endpoints of the servers running in this process.</summary>
public sealed class ServerEndPointCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        string prefix = (wordToComplete ?? "").Trim('\'', '"');
        foreach (NetpollServer server in ServerRegistry.All)
        {
            string target = server.ReachableTarget;
            if (target.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            {
                yield return new CompletionResult($"'{target}'", target, CompletionResultType.ParameterValue, $"{server.Name}: {server.Protocol}");
            }
        }
    }
}
