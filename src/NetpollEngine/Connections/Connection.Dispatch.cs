using System.Diagnostics;
using Netpoll.Diagnostics;

namespace Netpoll.Connections;

/// <summary>
/// Handler calls: OnConnect once, then OnRequest whenever input is waiting and no call runs, never two
/// at once (the dispatch slot in <see cref="ConnectionLifecycle"/>). Inline on the poller thread, or on
/// the ThreadPool, batched per poller wake.
/// </summary>
public sealed partial class Connection
{
    /// <summary>Starts the handler if input is waiting and none is running.</summary>
    private void TryDispatch()
    {
        if (_handler is not null && _lifecycle.TryStartDispatch())
        {
            StartHandler();
        }
    }

    /// <summary>Runs the handler where the dispatch mode says. Only the thread that won the dispatch slot calls this.</summary>
    private void StartHandler()
    {
        if (_runInline)
        {
            RunHandler();
            return;
        }

        DispatchWorkItem work = _workItem!;
        if (Poller.IsPollerThread)
        {
            Poller.Handlers.Add(work); // sent with the rest of this loop turn's handlers
        }
        else
        {
            ThreadPool.UnsafeQueueUserWorkItem(work, preferLocal: false);
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
                bool connect = _lastCall == HandlerCall.None;
                _lastCall = connect ? HandlerCall.Connect : HandlerCall.Request;
                if (connect)
                {
                    pending = _handler!.OnConnectAsync(this);
                }
                else if (_lifecycle.IsCloseRequested && !InputOutlivesClose || _input.Length == 0 && !_lifecycle.IsPeerClosed)
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
        bool closeRequested = _lifecycle.IsCloseRequested;
        if (closeRequested && !InputOutlivesClose)
        {
            RetireRunningDispatch();
            return false;
        }

        _input.Release();
        if (!closeRequested)
        {
            ResumeIfDrained();
        }

        // Read the byte counter before the length: every byte it counts is already in the length.
        long version = Volatile.Read(ref _received);
        int length = _input.Length;
        // OnConnect is not judged by the progress rule: input that waited for it goes to OnRequest.
        bool newData = version != _handlerStartVersion || _lastCall == HandlerCall.Connect;
        bool progress = _handlerStartLength + (version - _handlerStartVersion) - length > 0;
        if (length > 0 && (newData || progress))
        {
            return true;
        }

        if (closeRequested)
        {
            RetireRunningDispatch(); // the input that outlived the close is handed over, or the handler stopped taking it
            return false;
        }

        bool peerClosed = _lifecycle.IsPeerClosed;
        if (!_lifecycle.IsCloseRequested && (peerClosed || _host.IsShuttingDown) && (length == 0 || !progress))
        {
            // The peer sent everything it will send and the handler has answered it; or we are draining.
            RequestClose(peerClosed ? _lifecycle.PeerCloseReason : CloseReason.Shutdown);
        }

        _lifecycle.EndDispatch(); // a full fence: either we see the close request below, or the closer sees the slot idle
        if (_lifecycle.IsCloseRequested)
        {
            if (_lifecycle.TryRetireIdleDispatch())
            {
                OnDispatchRetired();
            }

            return false;
        }

        // Bytes that arrived after we looked would otherwise wait for the next read event.
        return Volatile.Read(ref _received) != version && _lifecycle.TryStartDispatch();
    }

    /// <summary>
    /// Logs, as an engine event, a failure the handler answered itself without closing (an HTTP route
    /// whose code threw, answered 500): the same logs as a handler that throws, but the connection stays.
    /// </summary>
    /// <param name="request">What failed, for the log (e.g. "GET /orders").</param>
    /// <param name="error">Why.</param>
    public void ReportRequestFailure(string request, Exception error)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(error);
        Trace.TraceWarning($"netpoll connection {Id}: {request} failed: {error.GetType().Name}: {error.Message}");
        NetpollEventSource.Log.RequestFailed(_host.Name, Id, request, error.GetType().Name, error.Message);
    }

    private void HandlerFailed(Exception ex)
    {
        Trace.TraceWarning($"netpoll connection {Id}: handler failed: {ex.GetType().Name}: {ex.Message}");
        NetpollEventSource.Log.HandlerFailed(_host.Name, Id, ex.GetType().Name, ex.Message);
        RequestClose(CloseReason.HandlerError);
        RetireRunningDispatch();
    }

    /// <summary>
    /// Bytes read before the peer's reset (or a socket error) are still the handler's: Inline dispatch hands them over
    /// before the reactor reads the reset, so a call queued on the ThreadPool, or one already running, must too. Any other
    /// close (this side's, a timeout, a handler error, shutdown's deadline) means the handler takes nothing more.
    /// </summary>
    private bool InputOutlivesClose => _lifecycle.Reason == CloseReason.Error && _input.Length > 0;

    /// <summary>The running handler saw the close (or failed): no call will start again. Handler thread.</summary>
    private void RetireRunningDispatch()
    {
        _lifecycle.RetireRunningDispatch();
        OnDispatchRetired();
    }

    /// <summary>Which handler call ran last: OnConnect's input is judged differently from a request's (RunHandler).</summary>
    private enum HandlerCall : byte
    {
        /// <summary>No call yet: the next one is OnConnect.</summary>
        None,
        /// <summary>OnConnect.</summary>
        Connect,
        /// <summary>OnRequest (or a turn that had nothing to hand over).</summary>
        Request,
    }

    /// <summary>What the ThreadPool runs for ThreadPool dispatch; kept off Connection so users cannot run a handler call.</summary>
    private sealed class DispatchWorkItem(Connection connection) : IThreadPoolWorkItem
    {
        public void Execute() => connection.RunHandler();
    }
}
