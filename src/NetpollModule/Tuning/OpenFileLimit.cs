using System.Runtime.InteropServices;

namespace Netpoll.PowerShell.Tuning;

/// <summary>getrlimit/setrlimit(RLIMIT_NOFILE) for this process (Linux and macOS share the call).</summary>
internal static partial class OpenFileLimit
{
    private static int Resource => OperatingSystem.IsLinux() ? 7 : 8; // RLIMIT_NOFILE

    [StructLayout(LayoutKind.Sequential)]
    private struct RLimit
    {
        public ulong Current;
        public ulong Maximum;
    }

    [LibraryImport("libc", EntryPoint = "getrlimit", SetLastError = true)]
    private static partial int GetRLimit(int resource, out RLimit limit);

    [LibraryImport("libc", EntryPoint = "setrlimit", SetLastError = true)]
    private static partial int SetRLimit(int resource, in RLimit limit);

    public static (long Soft, long Hard) Get()
    {
        if (GetRLimit(Resource, out RLimit limit) != 0)
        {
            throw new TuningAccessException(TuningRefusal.Other, $"getrlimit(RLIMIT_NOFILE) failed with errno {Marshal.GetLastPInvokeError()}.");
        }

        return (Clamp(limit.Current), Clamp(limit.Maximum));
    }

    public static void Set(long soft, long hard, bool canRaiseHard)
    {
        (long _, long currentHard) = Get();
        var limit = new RLimit { Current = (ulong)soft, Maximum = (ulong)hard };
        if (SetRLimit(Resource, limit) == 0)
        {
            return;
        }

        int errno = Marshal.GetLastPInvokeError();
        if (hard > currentHard && !canRaiseHard)
        {
            throw new TuningAccessException(TuningRefusal.MissingCapability,
                $"Raising the hard open-file limit from {currentHard} to {hard} needs CAP_SYS_RESOURCE (or root on macOS), which this process does not have (errno {errno}).");
        }

        throw new TuningAccessException(TuningRefusal.Other, $"setrlimit(RLIMIT_NOFILE, {soft}, {hard}) failed with errno {errno}.");
    }

    private static long Clamp(ulong value) => value > long.MaxValue ? long.MaxValue : (long)value;
}
