using System.Runtime.InteropServices;

namespace Netpoll.Host.Tests.Support;

/// <summary>Sends a signal to a process, as a terminal (Ctrl+C) or a service manager (SIGTERM) would.</summary>
internal static partial class PosixSignal
{
    public const int Interrupt = 2;
    public const int Terminate = 15;

    public static void Send(int processId, int signal)
    {
        if (Kill(processId, signal) != 0)
        {
            throw new InvalidOperationException($"kill({processId}, {signal}) failed with errno {Marshal.GetLastPInvokeError()}.");
        }
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int processId, int signal);
}
