using System.Collections;
using System.Globalization;
using System.Management.Automation;
using System.Management.Automation.Language;

namespace Netpoll.PowerShell;

/// <summary>Tab completion of -Id with the ids of the servers running in this process.</summary>
public sealed class ServerIdCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        string prefix = (wordToComplete ?? "").Trim('\'', '"');
        foreach (NetpollServer server in ServerRegistry.All)
        {
            string id = server.Id.ToString(CultureInfo.InvariantCulture);
            if (id.StartsWith(prefix, StringComparison.Ordinal))
            {
                yield return new CompletionResult(id, id, CompletionResultType.ParameterValue, $"{server.Name}: {server.Protocol} on {server.EndPoint}");
            }
        }
    }
}
