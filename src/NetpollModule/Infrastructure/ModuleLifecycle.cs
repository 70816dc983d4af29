using System.Management.Automation;
using System.Runtime.InteropServices;

namespace Netpoll.PowerShell;

/// <summary>
/// Stops every server and proxy when the module is removed, when the process exits, and on SIGTERM, so no
/// listener outlives the session that started it. Removing the module (Remove-Module, or
/// Import-Module -Force, which removes it first) warns before it stops running servers and proxies.
/// </summary>
public sealed class ModuleLifecycle : IModuleAssemblyInitializer, IModuleAssemblyCleanup
{
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(5);
    private static readonly Lock Gate = new();
    private static PosixSignalRegistration? s_sigterm;
    private static bool s_hooked;

    /// <summary>
    /// The module's OnRemove script, which PowerShell runs first when the module is removed, with the
    /// removing cmdlet as its context: its warning reaches that cmdlet's warning stream
    /// (IModuleAssemblyCleanup has no cmdlet to write to). Set by the first server start.
    /// </summary>
    private const string WarnOnRemove = "if ($message = [Netpoll.PowerShell.ModuleLifecycle]::StopWarning()) { Write-Warning $message }";

    /// <summary>What removing the module stops, or null when no server or proxy runs.</summary>
    public static string? StopWarning()
    {
        string[] running =
        [
            .. Registries.Servers.All.Select(s => $"server {s.Name} ({s.EndPoint}, {s.Connections} connections)"),
            .. Registries.Proxies.All.Select(p => $"proxy {p.Name} ({p.EndPoint} -> {p.Upstream}, {p.Connections} connections)"),
        ];
        return running.Length == 0 ? null
            : $"Removing the Netpoll module stops {running.Length} running server(s) and proxies: {string.Join(", ", running)}. Their connections are drained for {StopTimeout.TotalSeconds} s, then reset.";
    }

    /// <summary>Makes removing <paramref name="module"/> warn before it stops servers.</summary>
    internal static void WarnBeforeStopping(PSModuleInfo? module)
    {
        if (module is not null && module.OnRemove is null)
        {
            module.OnRemove = ScriptBlock.Create(WarnOnRemove);
        }
    }

    public void OnImport()
    {
        lock (Gate)
        {
            if (s_hooked)
            {
                return;
            }

            s_hooked = true;
            AppDomain.CurrentDomain.ProcessExit += OnProcessExit;
            if (!OperatingSystem.IsWindows())
            {
                // Let the default handling (terminate) continue after the servers are down.
                s_sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, _ => StopAll());
            }
        }
    }

    public void OnRemove(PSModuleInfo psModuleInfo)
    {
        StopAll();
        lock (Gate)
        {
            AppDomain.CurrentDomain.ProcessExit -= OnProcessExit;
            s_sigterm?.Dispose();
            s_sigterm = null;
            s_hooked = false;
        }
    }

    private static void OnProcessExit(object? sender, EventArgs e) => StopAll();

    /// <summary>Proxies first (their connections to servers of this process close cleanly), then servers.</summary>
    private static void StopAll()
    {
        Registries.Proxies.StopAll(StopTimeout);
        Registries.Servers.StopAll(StopTimeout);
    }
}
