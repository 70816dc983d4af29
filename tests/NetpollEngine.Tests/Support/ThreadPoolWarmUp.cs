using System.Runtime.CompilerServices;

namespace Netpoll.Tests.Support;

internal static class ThreadPoolWarmUp
{
    private static readonly int MinimumThreads = Math.Max(32, Environment.ProcessorCount * 4);

    /// <summary>
    /// The test host blocks ThreadPool threads of its own; on a 2-core machine that can delay a
    /// handler or a test continuation by hundreds of ms, which timing tests would misread.
    /// </summary>
    [ModuleInitializer]
    internal static void RaiseMinimumThreads() => ThreadPool.SetMinThreads(MinimumThreads, MinimumThreads);

    /// <summary>
    /// Makes the pool start <paramref name="count"/> workers beyond those already busy, then lets them go idle.
    /// An idle worker is reused for ~20 s before it exits, so for that long the pool does not start a thread
    /// until more than <paramref name="count"/> more work items run at once.
    /// </summary>
    /// <remarks>
    /// Why a test needs this: on Linux every managed thread starts suspended on a pipe (the CoreCLR PAL's
    /// InternalSuspendNewThreadFromData), so starting a thread takes two free fds. With none free the start fails
    /// with ERROR_NOT_ENOUGH_MEMORY, Thread.Start throws OutOfMemoryException, and when that happens as the pool
    /// adds a worker (PortableThreadPool.WorkerThread.MaybeAddWorkingWorker) nothing catches it: the process
    /// dies printing "Out of memory.". A test that runs the whole process out of fds starts its workers first.
    /// </remarks>
    public static void StartIdleWorkers(int count)
    {
        // Not disposed: a work item may still be inside Signal or Wait when this method returns (or times out).
        var started = new CountdownEvent(count);
        var release = new ManualResetEventSlim();
        for (int i = 0; i < count; i++)
        {
            ThreadPool.UnsafeQueueUserWorkItem(
                _ =>
                {
                    started.Signal();
                    release.Wait(TimeSpan.FromSeconds(60));
                },
                null);
        }

        // Each work item holds its worker until all have one, so the pool cannot serve two items with one thread.
        bool all = started.Wait(TimeSpan.FromSeconds(60));
        release.Set();
        if (!all)
        {
            throw new TimeoutException($"the thread pool started {count - started.CurrentCount} of {count} workers in 60 s");
        }
    }
}
