using System.Net;
using Netpoll.Buffers;
using Netpoll.Interop;
using Netpoll.Polling;

namespace Netpoll.Connections;

/// <summary>
/// A registered, non-blocking stream connection with netpoll's nocopy API: read through
/// <see cref="Reader"/>, write through <see cref="Writer"/> and <see cref="ConnectionWriter.FlushAsync"/>.
/// </summary>
/// <remarks>
/// <para>This file declares every field of a connection, with what it means and who may write it.
/// The behaviour is split by concern: <see cref="ConnectionLifecycle"/> (its states and transitions,
/// with the diagram), Connection.Reactor.cs (the poller side: reading, backpressure, interest, poller
/// tasks), Connection.Dispatch.cs (handler calls), Connection.ReadWait.cs (reader waits),
/// Connection.Flush.cs (the write side), Connection.Completion.cs (the transport on a completion backend:
/// ring receives and sends), Connection.Deadlines.cs (idle, read, write and handshake deadlines),
/// Connection.Transform.cs (a transform such as TLS between the socket and the buffers) and
/// Connection.Close.cs (the one close path).</para>
/// <para>Ownership: the poller thread reads the socket into the input buffer (its writer side), the handler
/// reads it (reader side). Handlers write the output buffer (writer side); whoever flushes owns its
/// reader side, one flusher at a time. The fd is closed only when no call is using it, and buffers go
/// back to the pool only when neither the reactor nor a handler can touch them.</para>
/// </remarks>
public sealed partial class Connection : IPollable, IPollerTask
{
    private static long s_nextId;                      // Interlocked: source of process-unique ids

    // Set at construction, read-only after.
    private readonly ConnectionHost _host;            // what the server or dialer owns: pollers, pool, options, shutdown flag, the open set
    private readonly ConnectionHandler? _handler;      // null for a dialed connection the application reads itself
    private readonly ConnectionOptions _options;       // the owner's, shared by its connections
    private readonly bool _runInline;                  // the dispatch mode resolved for _handler: calls run on the poller thread
    private readonly EndPoint _endPointTemplate;       // the address family, for getsockname/getpeername
    private readonly LinkBuffer _input;                // writer side: the poller; reader side: the handler (or the application)
    private readonly LinkBuffer _output;               // writer side: Writer calls under WriteGate; reader side: the flush owner
    private Lock? _interestGate;                       // serializes interest changes, which any thread may make; created by the first (InterestGate)
    private readonly CompletionBackend? _ring;         // the poller's backend when it is completion-based (io_uring); null on epoll/kqueue

    // Lifecycle: the one place that says open, closing or closed (ConnectionLifecycle.cs has the diagram).
    private ConnectionLifecycle _lifecycle = new();    // changed only through its named transitions; also keeps, set once each,
                                                       // a send's reset errno (Connection.SendReset.cs), that a close's drain is over,
                                                       // a half-close: ShutdownSend requested, then its FIN sent by whoever holds the flush with the output empty;
                                                       // and backpressure's pause (Connection.Reactor.cs), any thread by CAS
    private int _pollerTaskQueued;                     // any thread sets it (Interlocked) when posting, the poller clears it when running
    private List<Action<Connection>>? _closeCallbacks; // AddCloseCallback, any thread, under the list's lock; run once after close
    internal Connection? OpenPrevious;                 // the owner's open set (OpenConnections), under its lock: the neighbours in its list
    internal Connection? OpenNext;

    // Dispatch: the handler calls. "Handler thread" is whichever thread runs the current call (one at a time).
    private readonly DispatchWorkItem? _workItem;      // what the ThreadPool runs for this connection; null when calls run inline
    private Action? _handlerContinuation;              // handler thread: resumes after an asynchronous call (created on first use)
    private ValueTask _runningHandler;                 // handler thread: the call that has not completed yet
    private HandlerCall _lastCall;                     // handler thread: which call ran last (None before OnConnect)
    private long _handlerStartVersion;                 // handler thread: _received when the call started
    private int _handlerStartLength;                   // handler thread: input length when the call started
    private long _received;                            // the poller (Interlocked.Add): total bytes published into the input

    // Reading and interest: the poller side.
    private int _readSize = 4096;                      // poller: next read size, adapted to what reads return
    private bool _writeArmed;                          // under _interestGate: a flush waits for the socket to drain
    private Interest _appliedInterest;                 // under _interestGate: the interest the poller has registered
    private RingReceive _receive;                      // poller: the ring's multishot receive (completion backend)
    private HangupWatch _hangupWatch;                  // poller: the ring's poll for the peer's end, armed once it waits on the peer (Connection.HangupWatch.cs)

    // Reader waits (Connection.ReadWait.cs).
    private AsyncSignal? _readSignal;                  // the reader: its one pending wait (created on first use)
    private int _want;                                 // the reader, before arming: wait until Length >= this (>= 0), or until byte ~_want is buffered (< 0)

    // Flush (Connection.Flush.cs).
    private int _flushOwner;                           // CAS: FlushBusy while one thread (a caller or the poller) owns the output's reader side
    private List<AsyncSignal>? _flushWaiters;          // FlushAsync calls waiting for the output to drain, under the list's lock
    private int _sending;                              // poller writes, any thread reads: bytes of the ring send in flight (0: none)

    // Deadlines (Connection.Deadlines.cs).
    private ConnectionDeadlines _deadlines;            // any thread arms and clears; the poller schedules and fires

    // Transform (Connection.Transform.cs): null for a plain connection, whose socket reads and writes _input and _output.
    // With one, the raw buffers and the connection's transform state live on the transform, so a plain connection carries none of them.
    private readonly ConnectionTransform? _transform;  // decodes on the poller, encodes for the flush owner; serializes the two itself

    internal Connection(int fd, Poller poller, ConnectionHost host, ConnectionHandler? handler, EndPoint endPointTemplate, ConnectionTransform? transform = null)
    {
        Fd = fd;
        Poller = poller;
        _host = host;
        _handler = handler;
        _ring = poller.Completion;
        _options = host.Options;
        _runInline = _options.ResolveDispatch(handler) == DispatchMode.Inline;
        _workItem = _runInline || handler is null ? null : new DispatchWorkItem(this); // made here, so no request allocates it
        _endPointTemplate = endPointTemplate;
        _input = new LinkBuffer(host.Pool);
        _output = new LinkBuffer(host.Pool);
        _deadlines = new ConnectionDeadlines(Environment.TickCount64);
        if (transform is not null)
        {
            _transform = transform;
            transform.AttachBuffers(host.Pool);
        }

        Id = Interlocked.Increment(ref s_nextId);
    }

    /// <summary>Process-unique id.</summary>
    public long Id { get; }

    /// <summary>Free for the application (netpoll's context).</summary>
    public object? Context { get; set; }

    /// <summary>True until the connection closes.</summary>
    public bool IsActive => !_lifecycle.IsCloseRequested;

    /// <summary>Why it closed, once it has.</summary>
    public CloseReason CloseReason => _lifecycle.Reason;

    public ConnectionReader Reader => new(this);

    public ConnectionWriter Writer => new(this);

    public EndPoint? LocalEndPoint => _lifecycle.IsFdOpen ? NativeSocket.LocalEndPoint(Fd, _endPointTemplate) : null;

    public EndPoint? RemoteEndPoint => _lifecycle.IsFdOpen ? NativeSocket.RemoteEndPoint(Fd, _endPointTemplate) : null;

    internal int Fd { get; }

    internal Poller Poller { get; }

    /// <summary>The registration's token; written once by the poller when it registers.</summary>
    internal ulong Token { get; private set; }

    internal LinkBuffer Input => _input;

    internal LinkBuffer Output => _output;

    /// <summary>Set by the poller when registration failed; the connection is then closed.</summary>
    internal Exception? RegistrationFailed { get; private set; }

    /// <summary>
    /// Runs once on the poller thread when the connection is open for use (registered, and with a transform,
    /// its handshake done), or with the error when it could not open (registration failed, the handshake
    /// failed or the connection closed first). The dialer completes its task here.
    /// </summary>
    internal Action<Connection, Exception?>? OnOpened { get; set; }

    /// <summary>The lifecycle, for tests that check its end state.</summary>
    internal ref readonly ConnectionLifecycle Lifecycle => ref _lifecycle;

    /// <summary>No handler running and nothing buffered either way: safe to close at shutdown.</summary>
    internal bool IsIdle => !_lifecycle.IsDispatchRunning && _input.Length == 0 && UnsentBytes == 0;

    int IPollable.BufferedInputBytes => _input.Length;

    /// <summary>Runs <paramref name="callback"/> after the connection closed (netpoll's AddCloseCallback).</summary>
    public void AddCloseCallback(Action<Connection> callback)
    {
        ArgumentNullException.ThrowIfNull(callback);
        List<Action<Connection>> callbacks = LazyInitializer.EnsureInitialized(ref _closeCallbacks);
        lock (callbacks)
        {
            // The close path marks Closing before it queues the callbacks, which take this lock to run.
            if (!_lifecycle.IsClosing)
            {
                callbacks.Add(callback);
                return;
            }
        }

        callback(this); // already closed: run now, as netpoll does
    }
}
