using System.Management.Automation;
using System.Runtime.InteropServices;

namespace Netpoll.PowerShell;

/// <summary>
/// Stops every server when the module is removed, when the process exits, and on SIGTERM, so no
/// listener outlives the session that started it.
/// </summary>
public sealed class ModuleLifecycle : IModuleAssemblyInitializer, IModuleAssemblyCleanup
{
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(5);
    private static readonly Lock Gate = new();
    private static PosixSignalRegistration? s_sigterm;
    private static bool s_hooked;

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
                s_sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, _ => ServerRegistry.StopAll(StopTimeout));
            }
        }
    }

    public void OnRemove(PSModuleInfo psModuleInfo)
    {
        ServerRegistry.StopAll(StopTimeout);
        lock (Gate)
        {
            AppDomain.CurrentDomain.ProcessExit -= OnProcessExit;
            s_sigterm?.Dispose();
            s_sigterm = null;
            s_hooked = false;
        }
    }

    private static void OnProcessExit(object? sender, EventArgs e) => ServerRegistry.StopAll(StopTimeout);
}
