using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;

namespace Netpoll.PowerShell;

/// <summary>Tab completion from the servers running in this process: each subclass says which value of a server completes.</summary>
public abstract class ServerCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        string prefix = (wordToComplete ?? "").Trim('\'', '"');
        foreach (NetpollServer server in Registries.Servers.All)
        {
            string value = ValueOf(server);
            if (value.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            {
                string text = value.Contains(' ', StringComparison.Ordinal) || value.Contains(':', StringComparison.Ordinal) ? $"'{value}'" : value;
                yield return new CompletionResult(text, value, CompletionResultType.ParameterValue, $"{server.Name}: {server.Protocol} on {server.EndPoint}");
            }
        }
    }

    /// <summary>What the argument completes to for <paramref name="server"/>.</summary>
    protected abstract string ValueOf(NetpollServer server);
}
