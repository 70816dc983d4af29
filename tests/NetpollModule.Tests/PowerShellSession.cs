using System.Collections.ObjectModel;
using System.Management.Automation;
using System.Management.Automation.Runspaces;

namespace Netpoll.PowerShell.Tests;

/// <summary>
/// A hosted runspace of the full PowerShell 7.6.9 engine (Microsoft.PowerShell.SDK, every built-in module) with the
/// module imported through the repository's Netpoll.psd1. For what only a host can see: stopping a pipeline as
/// Ctrl+C does, progress records, completers, the module's internals. Disposing stops every server and checks none leaked.
/// </summary>
public sealed class PowerShellSession : IDisposable
{
    private readonly Runspace _runspace;

    public PowerShellSession()
    {
        var state = InitialSessionState.CreateDefault();
        _runspace = RunspaceFactory.CreateRunspace(state);
        _runspace.Open();
        Run($"Import-Module '{ManifestPath}' -ErrorAction Stop");
    }

    public static string ManifestPath { get; } = Path.Combine(RepositoryRoot.Path, "Netpoll.psd1");

    public List<ErrorRecord> Errors { get; } = [];

    public List<ProgressRecord> Progress { get; } = [];

    /// <summary>Runs script text; returns its output and collects its non-terminating errors and progress.</summary>
    public Collection<PSObject> Run(string script, IDictionary<string, object?>? variables = null)
    {
        using System.Management.Automation.PowerShell ps = Create(script, variables);
        Collection<PSObject> output = ps.Invoke();
        Errors.AddRange(ps.Streams.Error);
        Progress.AddRange(ps.Streams.Progress);
        return output;
    }

    /// <summary>A pipeline on this runspace, for tests that stop it (Ctrl+C) or stream.</summary>
    public System.Management.Automation.PowerShell Create(string script, IDictionary<string, object?>? variables = null)
    {
        var ps = System.Management.Automation.PowerShell.Create();
        ps.Runspace = _runspace;
        if (variables is not null)
        {
            foreach ((string name, object? value) in variables)
            {
                _runspace.SessionStateProxy.SetVariable(name, value);
            }
        }

        ps.AddScript(script);
        return ps;
    }

    /// <summary>Runs script text that must fail with exactly one error; returns it.</summary>
    public ErrorRecord SingleError(string script)
    {
        int before = Errors.Count;
        Run(script);
        Assert.True(Errors.Count == before + 1, $"expected one error from: {script}; got {Errors.Count - before}: {string.Join(" | ", Errors.Skip(before).Select(e => e.ToString()))}");
        return Errors[^1];
    }

    public T Single<T>(string script) => Assert.IsType<T>(Assert.Single(Run(script)).BaseObject);

    public void Dispose()
    {
        try
        {
            Run("Get-NetpollServer | Stop-NetpollServer -Force");
            Assert.Empty(Run("Get-NetpollServer"));
        }
        finally
        {
            _runspace.Dispose();
        }
    }
}
