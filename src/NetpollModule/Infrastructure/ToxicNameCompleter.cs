using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;

namespace Netpoll.PowerShell;

/// <summary>Tab completion of a toxic's -Name with the toxics of the proxy given to -Proxy (of every proxy when none is).</summary>
public sealed class ToxicNameCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        ArgumentNullException.ThrowIfNull(fakeBoundParameters);
        string prefix = (wordToComplete ?? "").Trim('\'', '"');
        object? given = fakeBoundParameters["Proxy"] is PSObject ps ? ps.BaseObject : fakeBoundParameters["Proxy"];
        IEnumerable<NetpollProxy> proxies = given switch
        {
            NetpollProxy proxy => [proxy],
            string name when Registries.Proxies.Find(name) is { } proxy => [proxy],
            _ => Registries.Proxies.All,
        };
        return proxies
            .SelectMany(p => p.Toxics)
            .Where(t => t.Name.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            .DistinctBy(t => t.Name)
            .Select(t => new CompletionResult(t.Name, t.Name, CompletionResultType.ParameterValue, t.ToString()));
    }
}
