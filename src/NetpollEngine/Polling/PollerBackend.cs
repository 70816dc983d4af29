namespace Netpoll.Polling;

/// <summary>
/// The OS readiness API behind a <see cref="Poller"/>: level-triggered registrations keyed by a
/// 64-bit token, a blocking wait, and a wake-up that interrupts the wait from any thread.
/// Token 0 is reserved for the wake-up.
/// </summary>
internal abstract class PollerBackend : IDisposable
{
    public const ulong WakeToken = 0;

    public static PollerBackend Create()
    {
        if (OperatingSystem.IsLinux())
        {
            return new EpollBackend();
        }

        if (OperatingSystem.IsMacOS() || OperatingSystem.IsFreeBSD())
        {
            return new KqueueBackend();
        }

        throw new PlatformNotSupportedException(
            $"Netpoll needs epoll (Linux) or kqueue (macOS, FreeBSD); {System.Runtime.InteropServices.RuntimeInformation.OSDescription} has neither.");
    }

    public abstract string Name { get; }

    public abstract void Add(int fd, ulong token, Interest interest);

    public abstract void Modify(int fd, ulong token, Interest interest);

    public abstract void Remove(int fd);

    /// <summary>Waits up to <paramref name="timeoutMs"/> (-1: forever); returns how many events are ready.</summary>
    public abstract int Wait(int timeoutMs);

    /// <summary>Reads event <paramref name="index"/> of the last wait.</summary>
    public abstract ulong GetEvent(int index, out ReadyFlags flags);

    /// <summary>Interrupts a wait from any thread.</summary>
    public abstract void Wake();

    /// <summary>Called by the poller after it saw the wake token, to re-arm it.</summary>
    public abstract void ResetWake();

    /// <summary>Doubles the event array after a wait filled it, so one wait can drain a busy poller.</summary>
    public abstract void GrowIfFull(int lastCount);

    public abstract void Dispose();
}
