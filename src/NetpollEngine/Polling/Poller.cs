using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using Netpoll.Diagnostics;

namespace Netpoll.Polling;

/// <summary>
/// One reactor: a dedicated background thread that waits on its <see cref="PollerBackend"/>,
/// delivers readiness or completions to registered <see cref="IPollable"/>s, runs tasks other threads
/// hand it, and fires deadlines from its <see cref="TimerWheel"/>.
/// </summary>
/// <remarks>
/// Registrations carry a token = (generation &lt;&lt; 32) | slot, the generation 28 bits wide (a
/// completion backend keeps the operation in the 4 bits above it). A slot's generation moves on when
/// it is freed, so an event fetched for a closed fd can never reach whatever reuses the slot or fd.
/// The backend is created on the poller thread (an io_uring ring belongs to the thread that submits to
/// it); the slot table, the wheel and most counters belong to the poller thread alone.
/// </remarks>
internal sealed class Poller : IMeteredPoller, IDisposable
{
    private const uint GenerationMask = (1u << 28) - 1;

    private readonly BackendChoice _choice;
    private readonly ManualResetEventSlim _started = new();
    private PollerBackend _backend = null!; // set by the poller thread before Start returns
    private CompletionBackend? _completion;  // the same backend when it is completion-based
    private Exception? _startFailure;
    private readonly ConcurrentQueue<IPollerTask> _tasks = new();
    private readonly TimerWheel _wheel;
    private readonly List<IPollable> _due = [];
    private readonly Thread _thread;
    private PollerSlot[] _slots = new PollerSlot[64];
    private int[] _freeSlots = new int[64];
    private int _freeCount;
    private int _nextSlot = 1; // slot 0 would make token 0, the wake token
    private int _sleeping;
    private long _waitStartedAt; // Stopwatch ticks while inside a wait, else 0: snapshots count the wait in progress
    private int _wakeSignaled;
    private volatile bool _stopping;
    private readonly TaskCompletionSource _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Poller(int id, BackendChoice choice)
    {
        Id = id;
        _choice = choice;
        _wheel = new TimerWheel(nowMs: Environment.TickCount64);
        _thread = new Thread(Run) { IsBackground = true, Name = $"netpoll-poller-{id}" };
    }

    public int Id { get; }

    public PollerCounters Counters { get; } = new();

    /// <summary>
    /// Environment.TickCount64 when this loop turn's wait returned. Poller thread only. The clock of the turn's
    /// per-event bookkeeping (a connection's last activity, for its idle deadline): read once per turn rather
    /// than twice per round trip, and older than the moment it stands for by at most the turn's own work.
    /// </summary>
    public long TurnStartedMs { get; private set; } = Environment.TickCount64;

    /// <summary>Handlers this poller sends to the ThreadPool, one work item per loop turn.</summary>
    public HandlerBatch Handlers { get; } = new();

    public bool IsPollerThread => Thread.CurrentThread == _thread;

    public bool IsRunning => _thread.IsAlive;

    /// <summary>Asked to stop: registrations start no new operations.</summary>
    public bool IsStopping => _stopping;

    /// <summary>The backend when it is completion-based (io_uring); null for readiness backends.</summary>
    public CompletionBackend? Completion => _completion;

    public PollerBackendKind BackendKind => _choice.Kind;

    /// <summary>Starts the thread and returns once it created its backend; throws what creating it threw.</summary>
    public void Start()
    {
        _thread.Start();
        _started.Wait();
        _started.Dispose();
        if (_startFailure is { } failure)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
        }
    }

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
        WakeIfSleeping();
    }

    /// <summary>
    /// Wakes the loop if it sleeps or is about to, for work handed over after a full fence (a queued task, a ring
    /// buffer given back on another thread); the loop checks for that work after announcing it sleeps. Any thread.
    /// </summary>
    internal void WakeIfSleeping()
    {
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
        ulong token = ((ulong)_slots[slot].Generation << 32) | (uint)slot;
        _slots[slot].Target = target;
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

    /// <summary>
    /// A token for <paramref name="target"/> with no readiness interest: it submits operations to the
    /// <see cref="Completion"/> backend instead. Poller thread only.
    /// </summary>
    public ulong Attach(IPollable target)
    {
        Debug.Assert(IsPollerThread || !_thread.IsAlive, "Attach runs on the poller thread.");
        int slot = AllocateSlot();
        _slots[slot].Target = target;
        return ((ulong)_slots[slot].Generation << 32) | (uint)slot;
    }

    /// <summary>Changes interest of a registration. Any thread on epoll and kqueue; the poller thread on a completion backend.</summary>
    public void Modify(int fd, ulong token, Interest interest) => _backend.Modify(fd, token, interest);

    /// <summary>
    /// Removes a registration and retires its token. Poller thread only; call before closing the fd, and on
    /// a completion backend only once the registration's operations have ended.
    /// </summary>
    public void Unregister(int fd, ulong token)
    {
        Debug.Assert(IsPollerThread || !_thread.IsAlive, "Unregister runs on the poller thread.");
        _backend.Remove(fd, token);
        if (Resolve(token) is not null)
        {
            FreeSlot((int)(uint)token);
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

        return new PollerStats(Id, BackendName, DateTimeOffset.UtcNow, values);
    }

    /// <inheritdoc/>
    public long Read(PollerCounter counter) => counter switch
    {
        PollerCounter.BufferBytes => BufferedInputBytes(),
        PollerCounter.ReceiveRingBytes => Volatile.Read(ref _completion)?.HeldBufferBytes ?? 0,
        PollerCounter.WaitTicks => Volatile.Read(ref Counters[PollerCounter.WaitTicks]) + WaitInProgress(),
        _ => Volatile.Read(ref Counters[counter]),
    };

    /// <summary>
    /// Input bytes buffered and not yet read, over this poller's connections. Derived when asked rather
    /// than counted on every read and handler call; read from any thread, so it is a snapshot of a moving sum.
    /// </summary>
    private long BufferedInputBytes()
    {
        PollerSlot[] slots = Volatile.Read(ref _slots);
        int end = Math.Min(Volatile.Read(ref _nextSlot), slots.Length);
        long sum = 0;
        for (int i = 1; i < end; i++)
        {
            if (Volatile.Read(ref slots[i].Target) is { } registration)
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

        Volatile.Read(ref _backend)?.Wake(); // none when it failed to start
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
            Volatile.Read(ref _backend)?.Dispose();
        }
    }

    /// <summary>Readiness for <paramref name="token"/>: runs its <see cref="IPollable.OnReady"/> unless the token was retired.</summary>
    internal void DeliverReady(ulong token, ReadyFlags flags)
    {
        Counters[PollerCounter.Events]++;
        IPollable? target = Resolve(token);
        if (target is null)
        {
            return; // stale: the registration was retired after this event was fetched
        }

        try
        {
            target.OnReady(flags);
        }
        catch (Exception ex)
        {
            // A bug in one connection must not stop the reactor.
            ReportFailure("event handler", token, ex);
        }
    }

    /// <summary>A completion for <paramref name="token"/>; false when the token was retired (nobody took it).</summary>
    internal bool DeliverCompletion(ulong token, in Completion completion)
    {
        Counters[PollerCounter.Events]++;
        IPollable? target = Resolve(token);
        if (target is null)
        {
            return false;
        }

        try
        {
            target.OnCompleted(completion);
        }
        catch (Exception ex)
        {
            ReportFailure("completion handler", token, ex);
        }

        return true;
    }

    /// <summary>The backend saw the wake-up: the next <see cref="Enqueue"/> must signal again.</summary>
    internal void OnWoken()
    {
        Volatile.Write(ref _wakeSignaled, 0);
        Counters[PollerCounter.Wakeups]++;
    }

    private string BackendName => Volatile.Read(ref _backend)?.Name ?? "none";

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private IPollable? Resolve(ulong token)
    {
        uint slot = (uint)token;
        if (slot >= (uint)_nextSlot)
        {
            return null;
        }

        ref PollerSlot entry = ref _slots[slot];
        return entry.Generation == (uint)(token >> 32) ? entry.Target : null;
    }

    private void ReportFailure(string what, ulong token, Exception ex)
    {
        Trace.TraceError($"netpoll poller {Id}: unhandled error in the {what} for slot {(uint)token}: {ex}");
        NetpollEventSource.Log.PollerFailed(Id, what, $"{ex.GetType().Name}: {ex.Message}");
    }

    private long WaitInProgress()
    {
        long started = Volatile.Read(ref _waitStartedAt);
        return started == 0 ? 0 : Math.Max(0, Stopwatch.GetTimestamp() - started);
    }

    private void Run()
    {
        try
        {
            Volatile.Write(ref _backend, PollerBackend.Create(_choice));
            _completion = _backend as CompletionBackend;
            _completion?.WakeOnForeignReturns(WakeIfSleeping);
        }
        catch (Exception ex)
        {
            _startFailure = ex;
            _started.Set();
            _exited.TrySetResult();
            return;
        }

        _started.Set();
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
            if (!_tasks.IsEmpty || _stopping || _completion?.HasForeignReturns == true)
            {
                timeout = 0;
            }

            long beforeWait = Stopwatch.GetTimestamp();
            Counters[PollerCounter.BusyTicks] += beforeWait - mark;
            Volatile.Write(ref _waitStartedAt, beforeWait);
            int n = _backend.Wait(timeout);
            TurnStartedMs = Environment.TickCount64;
            Volatile.Write(ref _waitStartedAt, 0);
            Volatile.Write(ref _sleeping, 0);
            mark = Stopwatch.GetTimestamp();
            Counters[PollerCounter.WaitTicks] += mark - beforeWait;
            Counters[PollerCounter.Waits]++;

            _backend.Dispatch(n, this);
            FireDeadlines();
        }

        RunTasks();
        _ = Handlers.Schedule();
        _backend.Drain(this); // a completion backend's last completions may close connections ...
        RunTasks();           // ... whose callbacks were posted
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
        }

        return _nextSlot++;
    }

    private void FreeSlot(int slot)
    {
        ref PollerSlot entry = ref _slots[slot];
        entry.Target = null;
        entry.Generation = (entry.Generation + 1) & GenerationMask;
        if (_freeCount == _freeSlots.Length)
        {
            Array.Resize(ref _freeSlots, _freeSlots.Length * 2);
        }

        _freeSlots[_freeCount++] = slot;
    }
}
