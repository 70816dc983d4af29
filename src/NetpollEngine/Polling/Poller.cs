using System.Collections.Concurrent;
using System.Diagnostics;
using Netpoll.Diagnostics;

namespace Netpoll.Polling;

/// <summary>
/// One reactor: a dedicated background thread that waits on its <see cref="PollerBackend"/>,
/// dispatches readiness to registered <see cref="IPollable"/>s, runs tasks other threads hand it,
/// and fires deadlines from its <see cref="TimerWheel"/>.
/// </summary>
/// <remarks>
/// Registrations carry a token = (generation &lt;&lt; 32) | slot. A slot's generation moves on when
/// it is freed, so an event fetched for a closed fd can never reach whatever reuses the slot or fd.
/// The slot table, the wheel and most counters belong to the poller thread alone.
/// </remarks>
internal sealed class Poller : IMeteredPoller, IDisposable
{
    private readonly PollerBackend _backend;
    private readonly ConcurrentQueue<IPollerTask> _tasks = new();
    private readonly TimerWheel _wheel;
    private readonly List<IPollable> _due = [];
    private readonly Thread _thread;
    private IPollable?[] _slots = new IPollable?[64];
    private uint[] _generations = new uint[64];
    private int[] _freeSlots = new int[64];
    private int _freeCount;
    private int _nextSlot = 1; // slot 0 would make token 0, the wake token
    private int _sleeping;
    private long _waitStartedAt; // Stopwatch ticks while inside a wait, else 0: snapshots count the wait in progress
    private int _wakeSignaled;
    private volatile bool _stopping;
    private readonly TaskCompletionSource _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Poller(int id)
    {
        Id = id;
        _backend = PollerBackend.Create();
        _wheel = new TimerWheel(nowMs: Environment.TickCount64);
        _thread = new Thread(Run) { IsBackground = true, Name = $"netpoll-poller-{id}" };
    }

    public int Id { get; }

    public PollerCounters Counters { get; } = new();

    /// <summary>Handlers this poller sends to the ThreadPool, one work item per loop turn.</summary>
    public HandlerBatch Handlers { get; } = new();

    public bool IsPollerThread => Thread.CurrentThread == _thread;

    public bool IsRunning => _thread.IsAlive;

    public void Start() => _thread.Start();

    /// <summary>Runs <paramref name="task"/> on the poller thread: now if already on it, else after a wake-up.</summary>
    public void Post(IPollerTask task)
    {
        if (IsPollerThread)
        {
            task.Run(this);
            return;
        }

        Enqueue(task);
    }

    /// <summary>Queues <paramref name="task"/> for the next loop turn, even from the poller thread.</summary>
    public void Enqueue(IPollerTask task)
    {
        _tasks.Enqueue(task);
        // Pairs with the poller's exchange on _sleeping: one of the two always sees the other.
        if (Volatile.Read(ref _sleeping) == 1 && Interlocked.Exchange(ref _wakeSignaled, 1) == 0)
        {
            _backend.Wake();
        }
    }

    /// <summary>Registers <paramref name="target"/> for <paramref name="fd"/>. Poller thread only.</summary>
    public ulong Register(int fd, IPollable target, Interest interest)
    {
        Debug.Assert(IsPollerThread || !_thread.IsAlive, "Register runs on the poller thread.");
        int slot = AllocateSlot();
        ulong token = ((ulong)_generations[slot] << 32) | (uint)slot;
        _slots[slot] = target;
        try
        {
            _backend.Add(fd, token, interest);
        }
        catch
        {
            FreeSlot(slot);
            throw;
        }

        return token;
    }

    /// <summary>Changes interest of a registration. Any thread (the kernel call is thread-safe).</summary>
    public void Modify(int fd, ulong token, Interest interest) => _backend.Modify(fd, token, interest);

    /// <summary>Removes a registration and retires its token. Poller thread only; call before closing the fd.</summary>
    public void Unregister(int fd, ulong token)
    {
        Debug.Assert(IsPollerThread || !_thread.IsAlive, "Unregister runs on the poller thread.");
        _backend.Remove(fd);
        int slot = (int)(uint)token;
        if (slot < _nextSlot && _slots[slot] is not null && _generations[slot] == (uint)(token >> 32))
        {
            FreeSlot(slot);
        }
    }

    /// <summary>Asks for <see cref="IPollable.OnDeadline"/> at <paramref name="dueMs"/>. Poller thread only.</summary>
    public void Schedule(IPollable target, long dueMs) => _wheel.Schedule(target, dueMs);

    /// <summary>Every counter at this moment, derived ones included. Any thread; costs the poller nothing.</summary>
    public PollerStats Snapshot()
    {
        var values = new long[PollerCounters.Count];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = Read((PollerCounter)i);
        }

        return new PollerStats(Id, _backend.Name, DateTimeOffset.UtcNow, values);
    }

    /// <inheritdoc/>
    public long Read(PollerCounter counter) => counter switch
    {
        PollerCounter.BufferBytes => BufferedInputBytes(),
        PollerCounter.WaitTicks => Volatile.Read(ref Counters[PollerCounter.WaitTicks]) + WaitInProgress(),
        _ => Volatile.Read(ref Counters[counter]),
    };

    /// <summary>
    /// Input bytes buffered and not yet read, over this poller's connections. Derived when asked rather
    /// than counted on every read and handler call; read from any thread, so it is a snapshot of a moving sum.
    /// </summary>
    private long BufferedInputBytes()
    {
        IPollable?[] slots = Volatile.Read(ref _slots);
        int end = Math.Min(Volatile.Read(ref _nextSlot), slots.Length);
        long sum = 0;
        for (int i = 1; i < end; i++)
        {
            if (Volatile.Read(ref slots[i]) is { } registration)
            {
                sum += registration.BufferedInputBytes;
            }
        }

        return sum;
    }

    /// <summary>Completes when the poller thread has left its loop.</summary>
    public Task Exited => _exited.Task;

    /// <summary>Asks the loop to stop; await <see cref="Exited"/> to know it did. Registered fds are the owners' to close first.</summary>
    public void RequestStop()
    {
        _stopping = true;
        if (!_thread.IsAlive && _thread.ThreadState.HasFlag(System.Threading.ThreadState.Unstarted))
        {
            _exited.TrySetResult();
            return;
        }

        _backend.Wake();
    }

    /// <summary>Frees the backend once the thread has exited (call after <see cref="Exited"/>).</summary>
    public void Dispose()
    {
        RequestStop();
        if (!IsPollerThread && !_thread.ThreadState.HasFlag(System.Threading.ThreadState.Unstarted))
        {
            // Join even when Exited has completed: it completes just before the thread ends, and a
            // thread still alive here would leave the backend (epoll fd, eventfd) open for good.
            _thread.Join(TimeSpan.FromSeconds(5));
        }

        if (!_thread.IsAlive)
        {
            _backend.Dispose();
        }
    }

    private long WaitInProgress()
    {
        long started = Volatile.Read(ref _waitStartedAt);
        return started == 0 ? 0 : Math.Max(0, Stopwatch.GetTimestamp() - started);
    }

    private void Run()
    {
        long mark = Stopwatch.GetTimestamp();
        while (!_stopping)
        {
            RunTasks();
            bool handlersWaiting = Handlers.Schedule();
            long now = Environment.TickCount64;
            int timeout = _wheel.NextTimeout(now);
            if (handlersWaiting)
            {
                // Come back to check that queued handlers are not stuck behind a blocking one.
                timeout = timeout < 0 ? HandlerBatch.StallMs : Math.Min(timeout, HandlerBatch.StallMs);
            }

            Interlocked.Exchange(ref _sleeping, 1);
            if (!_tasks.IsEmpty || _stopping)
            {
                timeout = 0;
            }

            long beforeWait = Stopwatch.GetTimestamp();
            Counters[PollerCounter.BusyTicks] += beforeWait - mark;
            Volatile.Write(ref _waitStartedAt, beforeWait);
            int n = _backend.Wait(timeout);
            Volatile.Write(ref _waitStartedAt, 0);
            Volatile.Write(ref _sleeping, 0);
            mark = Stopwatch.GetTimestamp();
            Counters[PollerCounter.WaitTicks] += mark - beforeWait;
            Counters[PollerCounter.Waits]++;

            for (int i = 0; i < n; i++)
            {
                ulong token = _backend.GetEvent(i, out ReadyFlags flags);
                if (token == PollerBackend.WakeToken)
                {
                    _backend.ResetWake();
                    Volatile.Write(ref _wakeSignaled, 0);
                    Counters[PollerCounter.Wakeups]++;
                    continue;
                }

                Counters[PollerCounter.Events]++;
                int slot = (int)(uint)token;
                IPollable? target = slot < _nextSlot && _generations[slot] == (uint)(token >> 32) ? _slots[slot] : null;
                if (target is null)
                {
                    continue; // stale: the registration was retired after this event was fetched
                }

                try
                {
                    target.OnReady(flags);
                }
                catch (Exception ex)
                {
                    // A bug in one connection must not stop the reactor.
                    Trace.TraceError($"netpoll poller {Id}: unhandled error for slot {slot}: {ex}");
                    NetpollEventSource.Log.PollerFailed(Id, "event handler", $"{ex.GetType().Name}: {ex.Message}");
                }
            }

            _backend.GrowIfFull(n);
            FireDeadlines();
        }

        RunTasks();
        _ = Handlers.Schedule();
        _exited.TrySetResult();
    }

    private void RunTasks()
    {
        while (_tasks.TryDequeue(out IPollerTask? task))
        {
            try
            {
                task.Run(this);
            }
            catch (Exception ex)
            {
                Trace.TraceError($"netpoll poller {Id}: task {task.GetType().Name} failed: {ex}");
                NetpollEventSource.Log.PollerFailed(Id, $"task {task.GetType().Name}", $"{ex.GetType().Name}: {ex.Message}");
            }
        }
    }

    private void FireDeadlines()
    {
        if (_wheel.Count == 0)
        {
            return;
        }

        long now = Environment.TickCount64;
        _wheel.Advance(now, _due);
        foreach (IPollable target in _due)
        {
            try
            {
                target.OnDeadline(now);
            }
            catch (Exception ex)
            {
                Trace.TraceError($"netpoll poller {Id}: deadline handler failed: {ex}");
                NetpollEventSource.Log.PollerFailed(Id, "deadline handler", $"{ex.GetType().Name}: {ex.Message}");
            }
        }

        _due.Clear();
    }

    private int AllocateSlot()
    {
        if (_freeCount > 0)
        {
            return _freeSlots[--_freeCount];
        }

        if (_nextSlot == _slots.Length)
        {
            Array.Resize(ref _slots, _slots.Length * 2);
            Array.Resize(ref _generations, _generations.Length * 2);
        }

        return _nextSlot++;
    }

    private void FreeSlot(int slot)
    {
        _slots[slot] = null;
        _generations[slot]++;
        if (_freeCount == _freeSlots.Length)
        {
            Array.Resize(ref _freeSlots, _freeSlots.Length * 2);
        }

        _freeSlots[_freeCount++] = slot;
    }
}
