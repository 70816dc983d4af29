using System.Management.Automation.Runspaces;
using System.Reflection;

namespace Netpoll.Host;

/// <summary>
/// Makes <c>exit N</c> inside a script run with <c>-File</c> end the run with N, as under <c>pwsh -File</c>.
/// The engine normally keeps an <c>exit</c> inside a script file to that script (it only sets
/// <c>$LASTEXITCODE</c>); pwsh's console host flips an internal engine switch so the exit reaches the host.
/// The package has no public API for that switch, so it is set by reflection. The engine reads and clears it
/// when it starts the next script file, so only the script the host runs is affected, not scripts it calls.
/// </summary>
internal static class ScriptExitPropagation
{
    private const BindingFlags InstanceMembers = BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic;
    private const string ContextProperty = "ExecutionContext";
    private const string SwitchProperty = "ScriptCommandProcessorShouldRethrowExit";

    /// <summary>Sets the switch for the next script file <paramref name="runspace"/> starts.</summary>
    /// <exception cref="InvalidOperationException">This System.Management.Automation no longer has the switch.</exception>
    public static void EnableForNextScript(Runspace runspace)
    {
        ArgumentNullException.ThrowIfNull(runspace);
        object context = typeof(Runspace).GetProperty(ContextProperty, InstanceMembers)?.GetValue(runspace)
            ?? throw Missing($"{nameof(Runspace)}.{ContextProperty}");
        PropertyInfo exitSwitch = context.GetType().GetProperty(SwitchProperty, InstanceMembers)
            ?? throw Missing($"{context.GetType().Name}.{SwitchProperty}");
        exitSwitch.SetValue(context, true);
    }

    private static InvalidOperationException Missing(string member) =>
        new($"This System.Management.Automation ({typeof(Runspace).Assembly.GetName().Version}) has no {member}; " +
            "the host cannot make 'exit N' in a -File script set the exit code. Update ScriptExitPropagation for this version.");
}
