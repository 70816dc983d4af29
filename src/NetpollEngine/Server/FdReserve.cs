using Netpoll.Interop;

namespace Netpoll.Server;

/// <summary>
/// A few fds the process keeps open on /dev/null so that, once accept finds the fd table full, the server can
/// give them back: the freed fds are headroom for the rest of the process (the runtime starts every thread on a
/// pipe and dies if pipe2 fails; a handler logs; a TLS library opens a file) while the acceptors shed what waits
/// in the backlog. libuv's uv__emfile_trick, with the reserve kept released for as long as fds are short.
/// </summary>
/// <remarks>
/// One reserve per process, not per loop or acceptor: RLIMIT_NOFILE is per process, and what the headroom is
/// for (thread starts, logging) is too; more loops would only lock more fds away. Loops that serve hold a
/// <see cref="Lease"/>: the first opens the reserve, the last to stop closes it, so it never outlives serving.
/// Every member takes the lock: they run only when a loop starts or stops and when fds are short.
/// </remarks>
internal static class FdReserve
{
    /// <summary>
    /// The fds held. The runtime takes two (a pipe) for every thread it starts, for the moment the start lasts;
    /// 16 lets several start at once (the pool's starvation and hill-climbing injections, a handler's own thread)
    /// with room left for a log file and a TLS file open.
    /// </summary>
    public const int Size = 16;

    private static readonly Lock Gate = new();
    private static readonly int[] Held = new int[Size];
    private static int _held;   // Held[0.._held) are open fds on /dev/null; _held < Size only while fds are short
    private static int _leases; // loops serving; the reserve is open while this is above zero
    private static volatile bool _released; // given back by Release, and not yet taken again by TryRestore
    private static long _counts; // fd table counts taken (FreeFds): each a readdir on an acceptor's poller

    /// <summary>True while the reserve is given back: every acceptor sheds instead of serving. Lock-free: read per accept.</summary>
    public static bool IsReleased => _released;

    /// <summary>How many times the fd table was counted to decide a restore (tests and diagnostics): each costs its poller ≈ 15 ms at 19,000 fds.</summary>
    public static long Counts => Interlocked.Read(ref _counts);

    /// <summary>The fds held now (tests and diagnostics).</summary>
    public static int HeldCount
    {
        get
        {
            lock (Gate)
            {
                return _held;
            }
        }
    }

    /// <summary>Takes a lease; the first one opens the reserve. Dispose the lease when the loop stops serving.</summary>
    public static Lease Acquire()
    {
        lock (Gate)
        {
            if (_leases++ == 0)
            {
                _released = false;
                Fill(); // best effort: a loop started with the table full still serves, with a smaller reserve
            }
        }

        return new Lease();
    }

    /// <summary>Gives every reserved fd back to the process. Idempotent. Returns how many were closed.</summary>
    public static int Release()
    {
        lock (Gate)
        {
            int closed = _held;
            CloseAll();
            _released = _leases > 0;
            return closed;
        }
    }

    /// <summary>
    /// Takes the reserve again, and only if the process then still has as many fds free (counted, not probed by
    /// opening them: a probe would leave the process none for its moment); serving again with less would run the
    /// table full at once. False: fds are still short, and the reserve stays released (nothing half-taken keeps
    /// fds from the process).
    /// </summary>
    public static bool TryRestore()
    {
        lock (Gate)
        {
            if (_leases == 0)
            {
                return true; // nothing serves: nothing to restore
            }

            if (!_released && _held == Size)
            {
                return true;
            }

            if (FreeFds() < 2 * Size)
            {
                return false;
            }

            Fill();
            if (_held < Size)
            {
                CloseAll();
                return false;
            }

            _released = false;
            return true;
        }
    }

    private static void Fill()
    {
        while (_held < Size)
        {
            int fd = Libc.Open("/dev/null", Libc.O_CLOEXEC); // O_RDONLY is 0
            if (fd < 0)
            {
                return;
            }

            Held[_held++] = fd;
        }
    }

    private static void CloseAll()
    {
        while (_held > 0)
        {
            _ = Libc.Close(Held[--_held]);
        }
    }

    /// <summary>
    /// RLIMIT_NOFILE's soft limit less the fds open (listed in /proc/self/fd, or /dev/fd on the BSDs; the listing
    /// itself holds one). 0 when either cannot be read: then the reserve is not restored.
    /// </summary>
    /// <remarks>
    /// Counted with readdir, on the poller, when the process is at its limit: with 19,000 fds open that is ≈ 15 ms,
    /// where Directory.EnumerateFileSystemEntries (a string and a stat per entry) took ≈ 110 ms, a stall of every
    /// connection on the poller at each try.
    /// </remarks>
    private static long FreeFds()
    {
        if (Libc.OpenFileSoftLimit() is not ulong soft)
        {
            return 0;
        }

        Interlocked.Increment(ref _counts);
        nint dir = Libc.OpenDir(OperatingSystem.IsLinux() ? "/proc/self/fd" : "/dev/fd");
        if (dir == 0)
        {
            return 0; // out of fds to list with, or no listing: short
        }

        long entries = 0;
        while (Libc.ReadDir(dir) != 0)
        {
            entries++;
        }

        bool complete = Libc.LastError == 0; // readdir's end and its failure both return null; errno tells them apart
        _ = Libc.CloseDir(dir);
        if (!complete)
        {
            return 0;
        }

        long open = Math.Max(entries - 2, 0); // less "." and ".."
        return (long)Math.Min(soft, long.MaxValue) - open;
    }

    /// <summary>A serving loop's hold on the reserve; the last one disposed closes it.</summary>
    public sealed class Lease : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) != 0)
            {
                return;
            }

            lock (Gate)
            {
                if (--_leases == 0)
                {
                    CloseAll();
                    _released = false;
                }
            }
        }
    }
}
