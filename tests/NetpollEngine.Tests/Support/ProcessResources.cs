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

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);

    /// <summary>
    /// Opens /dev/null until the fd table is full (bounded: at most <paramref name="max"/>), then closes
    /// <paramref name="leaveFree"/> of them (the last opened: the highest numbers). Returns the fds still open.
    /// </summary>
    public static List<int> FillFds(int leaveFree, int max)
    {
        var fds = new List<int>();
        while (fds.Count < max)
        {
            int fd = Open("/dev/null", 0x80000); // O_RDONLY | O_CLOEXEC
            if (fd < 0)
            {
                break;
            }

            fds.Add(fd);
        }

        if (fds.Count == max)
        {
            CloseFds(fds);
            throw new InvalidOperationException($"{max} fds opened and the table is not full: lower the soft limit first");
        }

        for (int i = 0; i < leaveFree && fds.Count > 0; i++)
        {
            _ = Close(fds[^1]);
            fds.RemoveAt(fds.Count - 1);
        }

        return fds;
    }

    public static void CloseFds(List<int> fds)
    {
        fds.ForEach(fd => Close(fd));
        fds.Clear();
    }

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

    /// <summary>
    /// Raises the soft open-file limit to at least <paramref name="atLeast"/> until the returned scope is disposed, for a
    /// test that opens thousands of sockets. Raise it before the pollers start: an io_uring ring sizes its file table by it.
    /// </summary>
    public static IDisposable SoftFdLimitAtLeast(ulong atLeast)
    {
        ulong original = SoftFdLimit;
        SoftFdLimit = Math.Max(original, atLeast);
        return new SoftFdLimitScope(original);
    }

    private sealed class SoftFdLimitScope(ulong original) : IDisposable
    {
        public void Dispose() => SoftFdLimit = original;
    }
}
