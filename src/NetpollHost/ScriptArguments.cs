using System.Management.Automation.Runspaces;

namespace Netpoll.Host;

/// <summary>
/// Turns the strings after <c>-File script.ps1</c> into command parameters with pwsh's rules, so a script's
/// <c>param()</c> block binds them as it would under <c>pwsh -File</c>:
/// <c>-Name value</c> is left for the binder to pair (switches take no value), <c>-Name:value</c> is one named
/// argument (with "true"/"$false" and the like becoming booleans), <c>-Name: value</c> pairs with the next
/// string, and anything else is positional. A script without <c>param()</c> sees them all in <c>$args</c>.
/// </summary>
internal static class ScriptArguments
{
    public static IReadOnlyList<CommandParameter> ToParameters(IReadOnlyList<string> arguments)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        var parameters = new List<CommandParameter>(arguments.Count);
        string? pendingName = null;

        foreach (string argument in arguments)
        {
            if (pendingName is not null)
            {
                parameters.Add(new CommandParameter(pendingName, argument));
                pendingName = null;
            }
            else if (argument.Length > 1 && argument[0] == '-')
            {
                int colon = argument.IndexOf(':', StringComparison.Ordinal);
                if (colon < 0)
                {
                    // A name with its dash and no value reaches the binder as a parameter token.
                    parameters.Add(new CommandParameter(argument));
                }
                else if (colon == argument.Length - 1)
                {
                    pendingName = argument[..colon];
                }
                else
                {
                    parameters.Add(new CommandParameter(argument[..colon], BooleanOrText(argument[(colon + 1)..])));
                }
            }
            else
            {
                parameters.Add(new CommandParameter(null, argument));
            }
        }

        if (pendingName is not null)
        {
            // "-Name:" at the very end: pass it on as a bare name so the binder reports the missing value.
            parameters.Add(new CommandParameter(pendingName));
        }

        return parameters;
    }

    private static object BooleanOrText(string value)
    {
        string candidate = value.StartsWith('$') ? value[1..] : value;
        return bool.TryParse(candidate, out bool flag) ? flag : value;
    }
}
