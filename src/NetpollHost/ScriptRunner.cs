using System.Management.Automation;
using System.Management.Automation.Runspaces;

namespace Netpoll.Host;

/// <summary>
/// Runs one script file or command text in a fresh runspace on <see cref="NetpollPSHost"/>: imports the
/// requested modules, runs the code with its output rendered by the engine's own Out-Default (so format views
/// from module manifests apply), shows errors on stderr as they happen, and decides the exit code.
/// </summary>
internal sealed class ScriptRunner
{
    private readonly HostConsole _console;
    private readonly PipelineStopper _stopper;

    public ScriptRunner(HostConsole console, PipelineStopper stopper)
    {
        _console = console;
        _stopper = stopper;
    }

    /// <summary>Runs <paramref name="work"/> after importing <paramref name="modules"/>; returns the process exit code.</summary>
    public int Run(ScriptWork work, IReadOnlyList<string> modules, bool nonInteractive)
    {
        ArgumentNullException.ThrowIfNull(work);
        ArgumentNullException.ThrowIfNull(modules);

        var host = new NetpollPSHost(_console, nonInteractive);
        InitialSessionState sessionState = InitialSessionState.CreateDefault2();
        if (OperatingSystem.IsWindows())
        {
            // Windows' default policy (Restricted) would refuse -File scripts; on Unix setting a policy throws.
            sessionState.ExecutionPolicy = Microsoft.PowerShell.ExecutionPolicy.Bypass;
        }

        using Runspace runspace = RunspaceFactory.CreateRunspace(host, sessionState);
        runspace.Open();

        foreach (string module in modules)
        {
            int? failure = Invoke(runspace, host, ps => ps.AddCommand("Import-Module").AddParameter("Name", module).AddParameter("ErrorAction", ActionPreference.Stop));
            if (failure is { } exitCode)
            {
                return exitCode;
            }
        }

        return Invoke(runspace, host, work.AddTo) ?? ExitCodes.Success;
    }

    /// <summary>
    /// Runs one pipeline ending in Out-Default. Returns null when it succeeded with no errors, else the exit code.
    /// </summary>
    private int? Invoke(Runspace runspace, NetpollPSHost host, Action<PowerShell> addCommands)
    {
        if (_stopper.Reason != StopReason.None)
        {
            return ExitCodeFor(_stopper.Reason);
        }

        using PowerShell powerShell = PowerShell.Create();
        powerShell.Runspace = runspace;
        addCommands(powerShell);
        powerShell.AddCommand("Out-Default");
        int errorsWritten = 0;
        powerShell.Streams.Error.DataAdded += (_, e) =>
        {
            errorsWritten++;
            WriteError(powerShell.Streams.Error[e.Index]);
        };

        try
        {
            using (_stopper.Track(powerShell))
            {
                powerShell.Invoke();
            }
        }
        catch (PipelineStoppedException) when (_stopper.Reason != StopReason.None)
        {
            return ExitCodeFor(_stopper.Reason);
        }
        catch (RuntimeException terminating)
        {
            WriteError(terminating.ErrorRecord);
            return ExitCodes.Failure;
        }

        if (host.ExitRequested)
        {
            return host.RequestedExitCode;
        }

        if (_stopper.Reason != StopReason.None)
        {
            return ExitCodeFor(_stopper.Reason);
        }

        if (powerShell.InvocationStateInfo.State == PSInvocationState.Stopped)
        {
            // Stopped with no signal: the code threw PipelineStoppedException itself. The run did not finish.
            _console.WriteLine(HostStream.Error, "The pipeline was stopped before it finished.", ConsoleColor.Red);
            return ExitCodes.Failure;
        }

        // Error records only: a failing native command or an inner script's non-zero exit sets $LASTEXITCODE
        // and marks the pipeline failed without writing an error, and must not fail the run (as in pwsh).
        return errorsWritten > 0 ? ExitCodes.Failure : null;
    }

    private void WriteError(ErrorRecord record) =>
        _console.WriteLine(HostStream.Error, ErrorRecordText.Format(record), ConsoleColor.Red);

    private static int ExitCodeFor(StopReason reason) =>
        reason == StopReason.Terminated ? ExitCodes.Terminated : ExitCodes.Interrupted;
}
