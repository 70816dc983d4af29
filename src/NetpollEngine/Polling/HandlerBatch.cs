using System.Collections.Concurrent;
using System.Diagnostics;

namespace Netpoll.Polling;

/// <summary>
/// Hands the handlers a poller wants to run to the ThreadPool in batches: one work item per loop turn
/// of the poller, not one per connection, so a wait that returned 20 ready connections costs one
/// worker wake-up instead of up to 20.
/// </summary>
/// <remarks>
/// One drainer runs the queued handlers in order. ThreadPool dispatch exists for handlers that may
/// block, so a blocked one must not hold up the rest: while items wait and none has started for
/// <see cref="StallMs"/>, the poller adds another drainer (at most one per stall period, and none while a
/// drainer still waits for a thread, so a starved ThreadPool does not pile them up). Like the
/// socket engine in System.Net.Sockets, a drainer also yields its thread after <see cref="QuantumMs"/>
/// so a constant stream cannot starve other ThreadPool work.
/// </remarks>
internal sealed class HandlerBatch : IThreadPoolWorkItem
{
    /// <summary>How long queued handlers wait behind a running one before another drainer is added.</summary>
    public const int StallMs = 2;

    private const int QuantumMs = 15;

    private readonly ConcurrentQueue<IThreadPoolWorkItem> _queue = new();
    private int _drainers;       // drain work items queued or running
    private int _unstarted;      // drain work items queued and not yet running
    private long _lastProgress;  // Stopwatch ticks when a drainer last started a handler
    private long _lastHelper;    // Stopwatch ticks when the poller last added a drainer for a stall

    /// <summary>Queues a handler run; <see cref="Schedule"/> sends it to the ThreadPool. Poller thread.</summary>
    public void Add(IThreadPoolWorkItem work) => _queue.Enqueue(work);

    /// <summary>
    /// Makes sure queued handlers have a drainer, and adds one if they are stuck behind a handler. Poller thread.
    /// True while handlers wait: the poller then bounds its wait by <see cref="StallMs"/> to check on them.
    /// </summary>
    public bool Schedule()
    {
        if (_queue.IsEmpty)
        {
            return false;
        }

        if (Volatile.Read(ref _drainers) == 0)
        {
            Volatile.Write(ref _lastProgress, Stopwatch.GetTimestamp());
            StartDrainer();
            return true;
        }

        long now = Stopwatch.GetTimestamp();
        long stall = Stopwatch.Frequency * StallMs / 1000;
        if (now - Volatile.Read(ref _lastProgress) > stall && now - _lastHelper > stall && Volatile.Read(ref _unstarted) == 0)
        {
            _lastHelper = now;
            StartDrainer();
        }

        return true;
    }

    void IThreadPoolWorkItem.Execute()
    {
        Interlocked.Decrement(ref _unstarted);
        long started = Stopwatch.GetTimestamp();
        long quantum = Stopwatch.Frequency * QuantumMs / 1000;
        while (_queue.TryDequeue(out IThreadPoolWorkItem? work))
        {
            Volatile.Write(ref _lastProgress, Stopwatch.GetTimestamp());
            work.Execute();
            if (Stopwatch.GetTimestamp() - started > quantum && !_queue.IsEmpty)
            {
                // Yield the thread but keep this drainer's place: requeue it rather than stop.
                Queue();
                return;
            }
        }

        // The decrement is a full fence: either the poller sees no drainer and starts one, or this
        // sees the handler it queued after our last dequeue.
        if (Interlocked.Decrement(ref _drainers) == 0 && !_queue.IsEmpty && Interlocked.CompareExchange(ref _drainers, 1, 0) == 0)
        {
            Queue();
        }
    }

    private void StartDrainer()
    {
        Interlocked.Increment(ref _drainers);
        Queue();
    }

    private void Queue()
    {
        Interlocked.Increment(ref _unstarted);
        ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
    }
}
