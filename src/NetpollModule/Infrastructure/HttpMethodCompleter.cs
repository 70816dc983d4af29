using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;

namespace Netpoll.PowerShell;

/// <summary>Completes -Method with the common HTTP methods (any other token is allowed too).</summary>
public sealed class HttpMethodCompleter : IArgumentCompleter
{
    private static readonly string[] Methods = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];

    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters) =>
        Methods.Where(m => m.StartsWith(wordToComplete ?? "", StringComparison.OrdinalIgnoreCase))
            .Select(m => new CompletionResult(m, m, CompletionResultType.ParameterValue, m));
}
