using Netpoll.Client;
using Netpoll.Connections;
using Netpoll.Polling;
using Netpoll.Server;

namespace Netpoll.Tests.Support;

/// <summary>
/// The backends every engine test runs on: each one this machine can run (epoll or kqueue, and io_uring
/// where the kernel allows it), as theory data. A backend the machine refuses is left out of the matrix,
/// never faked: <see cref="Check"/> fails a test whose server or dialer fell back to another backend.
/// </summary>
public static class BackendMatrix
{
    private static readonly PollerBackendKind[] s_backends = Supported().ToArray();

    /// <summary>The backends, for theory data that crosses them with more than one value.</summary>
    public static IReadOnlyList<PollerBackendKind> Kinds => s_backends;

    /// <summary>One row per backend.</summary>
    public static TheoryData<PollerBackendKind> Backends => [.. s_backends];

    /// <summary>One row per backend and dispatch mode (ThreadPool, Inline).</summary>
    public static TheoryData<PollerBackendKind, DispatchMode> Dispatch => Cross(DispatchMode.ThreadPool, DispatchMode.Inline);

    /// <summary>One row per backend and value of <paramref name="values"/>.</summary>
    public static TheoryData<PollerBackendKind, T> Cross<T>(params T[] values)
    {
        var rows = new TheoryData<PollerBackendKind, T>();
        foreach (PollerBackendKind backend in s_backends)
        {
            foreach (T value in values)
            {
                rows.Add(backend, value);
            }
        }

        return rows;
    }

    /// <summary>A dialer on <paramref name="backend"/>, checked to run on it.</summary>
    public static Dialer Dialer(PollerBackendKind backend, DialerOptions? options = null)
    {
        var dialer = new Dialer((options ?? new DialerOptions { Pollers = 1 }) with { Backend = backend });
        Check(backend, dialer.BackendInUse, dialer.BackendReason);
        return dialer;
    }

    /// <summary>Fails when an owner asked for <paramref name="asked"/> runs on something else: the matrix would test the wrong backend.</summary>
    public static void Check(PollerBackendKind asked, PollerBackendKind inUse, string reason)
    {
        if (asked != PollerBackendKind.Auto && asked != inUse)
        {
            throw new InvalidOperationException($"Asked for {asked} but the pollers run on {inUse}: {reason}");
        }
    }

    private static IEnumerable<PollerBackendKind> Supported()
    {
        if (OperatingSystem.IsLinux())
        {
            yield return PollerBackendKind.Epoll;
            if (IoUringRuns())
            {
                yield return PollerBackendKind.IoUring;
            }
        }
        else
        {
            yield return PollerBackendKind.Kqueue;
        }
    }

    /// <summary>Whether a dialer asked for io_uring gets it: the public API's answer, so the load tests (which see only that) share this matrix.</summary>
    private static bool IoUringRuns()
    {
        var probe = new Dialer(new DialerOptions { Pollers = 1, Backend = PollerBackendKind.IoUring });
        try
        {
            return probe.BackendInUse == PollerBackendKind.IoUring;
        }
        finally
        {
            probe.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }

    /// <summary>Default server options on <paramref name="backend"/>.</summary>
    public static EventLoopOptions Server(PollerBackendKind backend) => new() { Backend = backend };
}
