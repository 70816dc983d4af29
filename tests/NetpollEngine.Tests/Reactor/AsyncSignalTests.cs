using Netpoll.Connections;

namespace Netpoll.Tests.Reactor;

/// <summary>
/// The reusable awaitable behind reader and flush waits. (Arm resets its core before it publishes Waiting, so a
/// completer that sees the wait armed completes that wait; the cross-process TLS keep-alive bench is what
/// showed a completion lost to the old order.)
/// </summary>
public class AsyncSignalTests
{
    [Fact]
    public async Task Cancellation_after_completion_does_not_touch_the_next_wait()
    {
        var signal = new AsyncSignal();
        using var first = new CancellationTokenSource();
        ValueTask wait = signal.Arm(runContinuationsAsynchronously: false, first.Token);
        Assert.True(signal.TrySet(null));
        await wait;

        ValueTask next = signal.Arm(runContinuationsAsynchronously: false, CancellationToken.None);
        await first.CancelAsync(); // the first wait's token: its registration ended with that wait
        Assert.True(signal.IsWaiting);
        Assert.True(signal.TrySet(null));
        await next;
    }
}
