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
    public ValueTask Arm(bool runContinuationsAsynchronously, CancellationToken cancellationToken)
    {
        if (Interlocked.CompareExchange(ref _state, Waiting, Idle) != Idle)
        {
            throw new InvalidOperationException("Only one wait of this kind may be pending on a connection at a time.");
        }

        _core.Reset();
        _core.RunContinuationsAsynchronously = runContinuationsAsynchronously;
        _token = cancellationToken;
        var task = new ValueTask(this, _core.Version);
        if (cancellationToken.CanBeCanceled)
        {
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

        _cancellation.Unregister();
        _cancellation = default;
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
            _token = default;
            Volatile.Write(ref _state, Idle);
        }
    }

    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);
}
