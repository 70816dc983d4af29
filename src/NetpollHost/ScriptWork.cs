using System.Management.Automation;
using System.Management.Automation.Runspaces;

namespace Netpoll.Host;

/// <summary>The code a run executes: a script file with its arguments, or command text.</summary>
internal sealed class ScriptWork
{
    private readonly Action<PowerShell> _addTo;

    private ScriptWork(Action<PowerShell> addTo)
    {
        _addTo = addTo;
    }

    /// <summary>
    /// A script file run as pwsh -File runs it: in the global scope, arguments bound by pwsh's rules, and an
    /// <c>exit N</c> in the script ending the run with N.
    /// </summary>
    public static ScriptWork ForFile(string fullPath, IReadOnlyList<string> arguments)
    {
        IReadOnlyList<CommandParameter> parameters = ScriptArguments.ToParameters(arguments);
        return new ScriptWork(powerShell =>
        {
            var command = new Command(fullPath, isScript: false, useLocalScope: false);
            foreach (CommandParameter parameter in parameters)
            {
                command.Parameters.Add(parameter);
            }

            powerShell.Commands.AddCommand(command);
            ScriptExitPropagation.EnableForNextScript(powerShell.Runspace);
        });
    }

    /// <summary>Command text run as pwsh -Command runs it: in the global scope.</summary>
    public static ScriptWork ForCommand(string text) =>
        new(powerShell => powerShell.AddScript(text, useLocalScope: false));

    public void AddTo(PowerShell powerShell)
    {
        ArgumentNullException.ThrowIfNull(powerShell);
        _addTo(powerShell);
    }
}
