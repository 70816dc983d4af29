namespace Netpoll.Load.Tests.Http;

/// <summary>
/// Keeps every thread-pool thread, and those the pool adds while starved, asleep for up to a given time — and no longer
/// than the test that starves it: disposing wakes them all, and the sleeps not started yet return at once, so the next
/// test in the process (a server on the pool's default dispatch) does not start on a pool that is still starved.
/// </summary>
internal sealed class ThreadPoolStarver : IDisposable
{
    private volatile bool _released;

    public ThreadPoolStarver(TimeSpan longest)
    {
        // Thread.Sleep in slices: the pool does not see it as blocking, so it grows slowly (as under real busy work).
        for (int i = 0; i < ThreadPool.ThreadCount + 16; i++)
        {
            ThreadPool.UnsafeQueueUserWorkItem(static s => s.starver.Sleep(s.longest), (starver: this, longest), preferLocal: false);
        }
    }

    public void Dispose() => _released = true;

    /// <summary>
    /// Runs a load test with the pool starved from its start (for up to <paramref name="longest"/>): the run's own end
    /// waits for the pool, not its requests. The pool is woken once the run is over.
    /// </summary>
    public static async Task<LoadResult> RunStarvedAsync(LoadOptions options, TimeSpan longest)
    {
        Task<LoadResult> running = LoadGenerator.RunAsync(options);
        using (new ThreadPoolStarver(longest))
        {
            return await running.WaitAsync(TimeSpan.FromSeconds(60));
        }
    }

    private void Sleep(TimeSpan longest)
    {
        long until = Environment.TickCount64 + (long)longest.TotalMilliseconds;
        while (!_released && Environment.TickCount64 < until)
        {
            Thread.Sleep(10);
        }
    }
}
