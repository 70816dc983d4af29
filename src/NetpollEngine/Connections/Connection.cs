using System.Diagnostics;
using System.Net;
using Netpoll.Buffers;
using Netpoll.Diagnostics;
using Netpoll.Interop;
using Netpoll.Polling;

namespace Netpoll.Connections;

/// <summary>
/// A registered, non-blocking stream connection with netpoll's nocopy API: read through
/// <see cref="Reader"/>, write through <see cref="Writer"/> and <see cref="ConnectionWriter.FlushAsync"/>.
/// </summary>
/// <remarks>
/// Ownership: the poller thread reads the socket into the input buffer (its writer side), the handler
/// reads it (reader side). Handlers write the output buffer (writer side); whoever flushes owns its
/// reader side, one flusher at a time. The fd is closed only when no call is using it, and buffers go
/// back to the pool only when neither the reactor nor a handler can touch them.
/// </remarks>
public sealed partial class Connection : IPollable, IThreadPoolWorkItem, IPollerTask
{
    private const int FdClosedBit = 1 << 30;
    private const int DispatchIdle = 0;
    private const int DispatchRunning = 1;
    private const int DispatchRetired = 2;

    private static long s_nextId;

    private readonly IConnectionOwner _owner;
    private readonly ConnectionHandler? _handler;
    private readonly ConnectionOptions _options;
    private readonly EndPoint _endPointTemplate;
    private readonly LinkBuffer _input;
    private readonly LinkBuffer _output;
    // Created on first use: an idle connection should cost as little memory as possible.
    private Action? _handlerContinuation;
    private List<Action<Connection>>? _closeCallbacks;

    // Lifecycle
    private int _ioRefs = 1;          // the reactor's reference, plus one per flush syscall in flight
    private int _closed;              // 1 once CloseCore ran
    private int _closeRequested;      // 1 once any thread asked for a close
    private CloseReason _closeReason;
    private int _buffersFreed;
    private bool _peerClosed;         // poller thread: EOF seen
    private bool _connectRan;
    private bool _lastCallWasConnect;
    private bool _registered;

    // Dispatch
    private readonly bool _runInline; // the options' dispatch mode resolved for this handler
    private int _dispatch;            // DispatchIdle / Running / Retired
    private long _received;           // total bytes the poller has published into the input buffer
    private ValueTask _runningHandler;
    private long _handlerStartVersion;
    private int _handlerStartLength;

    // Backpressure and interest
    private readonly Lock _interestGate = new();
    private int _paused;
    private bool _writeArmed;
    private Interest _appliedInterest;

    // Deadlines (any thread writes; the poller reads)
    private long _lastActivity;
    private long _readDeadline;
    private long _writeDeadline;
    private long _scheduledDue;       // poller thread: due time of the live wheel entry
    private int _taskQueued;
    private int _readSize = 4096;

    internal Connection(int fd, Poller poller, IConnectionOwner owner, ConnectionHandler? handler, EndPoint endPointTemplate)
    {
        Fd = fd;
        Poller = poller;
        _owner = owner;
        _handler = handler;
        _options = owner.Options;
        _runInline = _options.ResolveDispatch(handler) == DispatchMode.Inline;
        _endPointTemplate = endPointTemplate;
        _input = new LinkBuffer(owner.Pool);
        _output = new LinkBuffer(owner.Pool);
        _lastActivity = Environment.TickCount64;
        Id = Interlocked.Increment(ref s_nextId);
    }

    /// <summary>Process-unique id.</summary>
    public long Id { get; }

    /// <summary>Free for the application (netpoll's context).</summary>
    public object? Context { get; set; }

    /// <summary>True until the connection closes.</summary>
    public bool IsActive => Volatile.Read(ref _closeRequested) == 0;

    /// <summary>Why it closed, once it has.</summary>
    public CloseReason CloseReason => _closeReason;

    public ConnectionReader Reader => new(this);

    public ConnectionWriter Writer => new(this);

    public EndPoint? LocalEndPoint => IsFdOpen ? NativeSocket.LocalEndPoint(Fd, _endPointTemplate) : null;

    public EndPoint? RemoteEndPoint => IsFdOpen ? NativeSocket.RemoteEndPoint(Fd, _endPointTemplate) : null;

    internal int Fd { get; }

    internal Poller Poller { get; }

    internal ulong Token { get; private set; }

    internal LinkBuffer Input => _input;

    internal LinkBuffer Output => _output;

    int IPollable.BufferedInputBytes => _input.Length;

    private bool IsFdOpen => (Volatile.Read(ref _ioRefs) & FdClosedBit) == 0;

    private bool RunInline => _runInline;

    /// <summary>No handler running and nothing buffered either way: safe to close at shutdown.</summary>
    internal bool IsIdle => Volatile.Read(ref _dispatch) != DispatchRunning && _input.Length == 0 && _output.Length == 0;

    /// <summary>Runs <paramref name="callback"/> after the connection closed (netpoll's AddCloseCallback).</summary>
    public void AddCloseCallback(Action<Connection> callback)
    {
        ArgumentNullException.ThrowIfNull(callback);
        List<Action<Connection>> callbacks = LazyInitializer.EnsureInitialized(ref _closeCallbacks);
        lock (callbacks)
        {
            if (Volatile.Read(ref _closed) == 0)
            {
                callbacks.Add(callback);
                return;
            }
        }

        callback(this); // already closed: run now, as netpoll does
    }

    /// <summary>Set when registration with the poller failed; the connection is closed.</summary>
    internal Exception? RegistrationFailed { get; private set; }

    /// <summary>Runs on the poller thread right after registration (the dialer completes its task here).</summary>
    internal Action<Connection>? OnRegistered { get; set; }

    /// <summary>Queues registration on the connection's poller.</summary>
    internal void StartRegistration() => QueuePollerTask();

    /// <summary>Registers on the poller; poller thread only.</summary>
    private void Register()
    {
        _appliedInterest = Interest.Read;
        Token = Poller.Register(Fd, this, Interest.Read);
        Poller.Counters.Registered++;
        ScheduleNextDeadline(Environment.TickCount64);
        if (_handler is not null)
        {
            // OnConnect runs before any OnRequest: it takes the dispatch slot first.
            _dispatch = DispatchRunning;
            Run(this);
        }
    }

    // ------------------------------------------------------------------ dispatch

    void IThreadPoolWorkItem.Execute() => RunHandler();

    private void Run(IThreadPoolWorkItem work)
    {
        if (RunInline)
        {
            work.Execute();
        }
        else if (Poller.IsPollerThread)
        {
            Poller.Handlers.Add(work); // sent with the rest of this loop turn's handlers
        }
        else
        {
            ThreadPool.UnsafeQueueUserWorkItem(work, preferLocal: false);
        }
    }

    /// <summary>Starts the handler if input is waiting and none is running.</summary>
    private void TryDispatch()
    {
        if (_handler is not null && Interlocked.CompareExchange(ref _dispatch, DispatchRunning, DispatchIdle) == DispatchIdle)
        {
            Run(this);
        }
    }

    private void RunHandler()
    {
        while (true)
        {
            _handlerStartVersion = Volatile.Read(ref _received);
            _handlerStartLength = _input.Length;
            ValueTask pending;
            try
            {
                _lastCallWasConnect = !_connectRan;
                if (!_connectRan)
                {
                    _connectRan = true;
                    pending = _handler!.OnConnectAsync(this);
                }
                else if (Volatile.Read(ref _closeRequested) != 0 || _input.Length == 0 && !_peerClosed)
                {
                    pending = default; // nothing to hand over (closed, or OnConnect consumed everything)
                }
                else
                {
                    pending = _handler!.OnRequestAsync(this);
                }
            }
            catch (Exception ex)
            {
                HandlerFailed(ex);
                return;
            }

            if (!pending.IsCompleted)
            {
                _runningHandler = pending;
                pending.GetAwaiter().UnsafeOnCompleted(_handlerContinuation ??= OnHandlerCompleted);
                return;
            }

            try
            {
                pending.GetAwaiter().GetResult();
            }
            catch (Exception ex)
            {
                HandlerFailed(ex);
                return;
            }

            if (!AfterHandler())
            {
                return;
            }
        }
    }

    private void OnHandlerCompleted()
    {
        ValueTask finished = _runningHandler;
        _runningHandler = default;
        try
        {
            finished.GetAwaiter().GetResult();
        }
        catch (Exception ex)
        {
            HandlerFailed(ex);
            return;
        }

        if (AfterHandler())
        {
            RunHandler();
        }
    }

    /// <summary>Decides, after a handler call, whether to call it again, go idle, or close. True: run again.</summary>
    private bool AfterHandler()
    {
        if (Volatile.Read(ref _closeRequested) != 0)
        {
            RetireDispatch();
            return false;
        }

        _input.Release();
        ResumeIfDrained();

        // Read the byte counter before the length: every byte it counts is already in the length.
        long version = Volatile.Read(ref _received);
        int length = _input.Length;
        // OnConnect is not judged by the progress rule: input that waited for it goes to OnRequest.
        bool newData = version != _handlerStartVersion || _lastCallWasConnect;
        bool progress = _handlerStartLength + (version - _handlerStartVersion) - length > 0;
        if (length > 0 && (newData || progress))
        {
            return true;
        }

        if (Volatile.Read(ref _closeRequested) == 0 && (PeerClosedVolatile || _owner.IsShuttingDown) && (length == 0 || !progress))
        {
            // The peer sent everything it will send and the handler has answered it; or we are draining.
            RequestClose(PeerClosedVolatile ? CloseReason.PeerClosed : CloseReason.Shutdown);
        }

        Volatile.Write(ref _dispatch, DispatchIdle);
        Interlocked.MemoryBarrier();
        if (Volatile.Read(ref _closeRequested) != 0)
        {
            if (Interlocked.CompareExchange(ref _dispatch, DispatchRetired, DispatchIdle) == DispatchIdle)
            {
                TryFreeBuffers();
            }

            return false;
        }

        // Bytes that arrived after we looked would otherwise wait for the next read event.
        if (Volatile.Read(ref _received) != version &&
            Interlocked.CompareExchange(ref _dispatch, DispatchRunning, DispatchIdle) == DispatchIdle)
        {
            return true;
        }

        return false;
    }

    private bool PeerClosedVolatile => Volatile.Read(ref _peerClosed);

    private void HandlerFailed(Exception ex)
    {
        Trace.TraceWarning($"netpoll connection {Id}: handler failed: {ex.GetType().Name}: {ex.Message}");
        NetpollEventSource.Log.HandlerFailed(_owner.Name, Id, ex.GetType().Name, ex.Message);
        RequestClose(CloseReason.HandlerError);
        RetireDispatch();
    }

    private void RetireDispatch()
    {
        Volatile.Write(ref _dispatch, DispatchRetired);
        TryFreeBuffers();
    }

    // ------------------------------------------------------------------ poller tasks

    /// <summary>Asks the poller to run <see cref="IPollerTask.Run"/> (close, deadline change) once.</summary>
    private void QueuePollerTask()
    {
        if (Interlocked.Exchange(ref _taskQueued, 1) == 0)
        {
            Poller.Post(this);
        }
    }

    void IPollerTask.Run(Poller poller)
    {
        Volatile.Write(ref _taskQueued, 0);
        if (!_registered)
        {
            _registered = true;
            try
            {
                Register();
            }
            catch (Exception ex)
            {
                // epoll_ctl can fail (ENOMEM, ENOSPC: max_user_watches): close rather than leak the fd.
                // Not CloseCore: nothing is registered to undo, no counter to drop, and no handler
                // ever saw this connection, so no OnDisconnect or close callbacks either.
                Trace.TraceWarning($"netpoll connection {Id}: registration failed: {ex.Message}");
                RegistrationFailed = ex;
                Volatile.Write(ref _closeRequested, 1);
                _closeReason = CloseReason.Error;
                Volatile.Write(ref _closed, 1);
                Volatile.Write(ref _dispatch, DispatchRetired);
                ReleaseIo();
                ThreadPool.UnsafeQueueUserWorkItem(static c => c._owner.OnConnectionClosed(c), this, preferLocal: false);
                return;
            }

            OnRegistered?.Invoke(this);
            if (Volatile.Read(ref _closeRequested) != 0)
            {
                CloseCore(); // closed before it was registered
            }

            return;
        }

        if (Volatile.Read(ref _closeRequested) != 0)
        {
            CloseCore();
            return;
        }

        ScheduleNextDeadline(Environment.TickCount64);
    }
}
