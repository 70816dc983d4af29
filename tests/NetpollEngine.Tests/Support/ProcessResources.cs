using System.Runtime.InteropServices;

namespace Netpoll.Tests.Support;

/// <summary>Reads and sets this process's fd limit and counts its fds and poller threads (Linux /proc).</summary>
internal static partial class ProcessResources
{
    private const int RLIMIT_NOFILE = 7;

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

    public static int OpenFds => Directory.GetFileSystemEntries("/proc/self/fd").Length;

    /// <summary>Mappings of io_uring rings (a ring stays alive while mapped, even after its fd is closed).</summary>
    public static int IoUringMappings => File.ReadLines("/proc/self/maps").Count(l => l.Contains("[io_uring]", StringComparison.Ordinal));

    /// <summary>Threads whose OS name starts with "netpoll-poller" (names are cut to 15 characters).</summary>
    public static int PollerThreads => Directory.GetDirectories("/proc/self/task")
        .Count(t => { try { return File.ReadAllText(Path.Combine(t, "comm")).StartsWith("netpoll-poller", StringComparison.Ordinal); } catch (IOException) { return false; } });

    public static ulong SoftFdLimit
    {
        get
        {
            if (GetRLimit(RLIMIT_NOFILE, out RLimit limit) != 0)
            {
                throw new InvalidOperationException($"getrlimit failed: errno {Marshal.GetLastPInvokeError()}");
            }

            return limit.Current;
        }

        set
        {
            if (GetRLimit(RLIMIT_NOFILE, out RLimit limit) != 0)
            {
                throw new InvalidOperationException($"getrlimit failed: errno {Marshal.GetLastPInvokeError()}");
            }

            limit.Current = value;
            if (SetRLimit(RLIMIT_NOFILE, limit) != 0)
            {
                throw new InvalidOperationException($"setrlimit({value}) failed: errno {Marshal.GetLastPInvokeError()}");
            }
        }
    }
}
