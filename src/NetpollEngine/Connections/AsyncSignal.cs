using System.Threading.Tasks.Sources;

namespace Netpoll.Connections;

/// <summary>
/// A reusable, allocation-free awaitable that exactly one completer wins: the poller (data arrived,
/// output drained, deadline), a closing connection, or a cancellation token.
/// </summary>
internal sealed class AsyncSignal : IValueTaskSource
{
    private const int Idle = 0;
    private const int Waiting = 1;
    private const int Completed = 2;

    private static readonly Action<object?> CancelCallback = static s => ((AsyncSignal)s!).TrySet(null, canceled: true);

    private ManualResetValueTaskSourceCore<bool> _core;
    private CancellationTokenRegistration _cancellation;
    private CancellationToken _token;
    private int _state;

    public bool IsWaiting => Volatile.Read(ref _state) == Waiting;

    /// <summary>Armed and not yet observed by its awaiter.</summary>
    public bool IsInUse => Volatile.Read(ref _state) != Idle;

    /// <summary>Arms the signal for one wait and returns the awaitable.</summary>
    /// <remarks>
    /// The core is reset before the state says Waiting: a completer (any thread) acts only on Waiting, so it must
    /// never find the previous wait's core, or its result would be lost and this wait would never end.
    /// </remarks>
    public ValueTask Arm(bool runContinuationsAsynchronously, CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _state) != Idle)
        {
            throw new InvalidOperationException("Only one wait of this kind may be pending on a connection at a time.");
        }

        _core.Reset();
        _core.RunContinuationsAsynchronously = runContinuationsAsynchronously;
        _token = cancellationToken;
        var task = new ValueTask(this, _core.Version);
        if (Interlocked.CompareExchange(ref _state, Waiting, Idle) != Idle)
        {
            throw new InvalidOperationException("Only one wait of this kind may be pending on a connection at a time.");
        }

        if (cancellationToken.CanBeCanceled)
        {
            // Only the waiter touches the registration (here, and in GetResult, which runs after Arm returned): a
            // completer racing with this line can neither miss nor tear it. Firing after completion is a no-op.
            _cancellation = cancellationToken.UnsafeRegister(CancelCallback, this);
        }

        return task;
    }

    /// <summary>Completes the wait (successfully when <paramref name="error"/> is null); false when someone else already did.</summary>
    public bool TrySet(Exception? error, bool canceled = false)
    {
        if (Interlocked.CompareExchange(ref _state, Completed, Waiting) != Waiting)
        {
            return false;
        }

        if (canceled)
        {
            _core.SetException(new OperationCanceledException(_token));
        }
        else if (error is not null)
        {
            _core.SetException(error);
        }
        else
        {
            _core.SetResult(true);
        }

        return true;
    }

    public void GetResult(short token)
    {
        try
        {
            _core.GetResult(token);
        }
        finally
        {
            _cancellation.Dispose(); // waits for a cancel callback already running, so none outlives this wait
            _cancellation = default;
            _token = default;
            Volatile.Write(ref _state, Idle);
        }
    }

    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);
}
