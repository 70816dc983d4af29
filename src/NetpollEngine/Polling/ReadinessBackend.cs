namespace Netpoll.Polling;

/// <summary>
/// A readiness API (epoll, kqueue): the kernel reports which registered fds are ready, and each
/// <see cref="IPollable"/> does its own read and write syscalls in <see cref="IPollable.OnReady"/>.
/// </summary>
internal abstract class ReadinessBackend : PollerBackend
{
    public sealed override void Dispatch(int count, Poller poller)
    {
        for (int i = 0; i < count; i++)
        {
            ulong token = GetEvent(i, out ReadyFlags flags);
            if (token == WakeToken)
            {
                ResetWake();
                poller.OnWoken();
                continue;
            }

            poller.DeliverReady(token, flags);
        }

        GrowIfFull(count);
    }

    /// <summary>Reads event <paramref name="index"/> of the last wait.</summary>
    protected abstract ulong GetEvent(int index, out ReadyFlags flags);

    /// <summary>Re-arms the wake-up after the wait reported it.</summary>
    protected abstract void ResetWake();

    /// <summary>Doubles the event array after a wait filled it, so one wait can drain a busy poller.</summary>
    protected abstract void GrowIfFull(int lastCount);
}
