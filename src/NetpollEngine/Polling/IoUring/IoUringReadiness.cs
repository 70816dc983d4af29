using Netpoll.Interop;

namespace Netpoll.Polling;

/// <summary>
/// epoll's level-triggered interest on io_uring, for registrations that wait for readiness rather than
/// submit operations (a pending connect waits for writability). Each is a single-shot poll, re-armed
/// after every delivery while the interest holds: an fd still ready fires again at the next turn, as
/// level-triggered epoll would. Issuer thread only.
/// </summary>
internal sealed class IoUringReadiness
{
    private readonly Dictionary<ulong, Registration> _registrations = [];

    public void Add(IoUringBackend backend, int fd, ulong token, Interest interest)
    {
        var registration = new Registration(fd, interest);
        _registrations[token] = registration;
        ArmIfWanted(backend, token, registration);
    }

    public void Modify(IoUringBackend backend, ulong token, Interest interest)
    {
        if (!_registrations.TryGetValue(token, out Registration? registration) || registration.Interest == interest)
        {
            return;
        }

        registration.Interest = interest;
        if (registration.IsArmed)
        {
            // The armed poll waits for the old events: end it; its completion re-arms with the new ones.
            backend.Cancel(token, IoOperation.Poll);
        }
        else
        {
            ArmIfWanted(backend, token, registration);
        }
    }

    public void Remove(IoUringBackend backend, ulong token)
    {
        if (_registrations.Remove(token, out Registration? registration) && registration.IsArmed)
        {
            backend.Cancel(token, IoOperation.Poll);
        }
    }

    /// <summary>A poll's completion: delivers the readiness it reports, then re-arms while the interest holds.</summary>
    public void OnCompleted(IoUringBackend backend, ulong token, int result, Poller poller)
    {
        if (!_registrations.TryGetValue(token, out Registration? registration))
        {
            return; // removed while its poll was armed
        }

        registration.IsArmed = false;
        if (result > 0)
        {
            poller.DeliverReady(token, ToReadyFlags((uint)result));
        }

        // OnReady may have removed it or changed its interest.
        if (_registrations.TryGetValue(token, out Registration? current) && current == registration)
        {
            ArmIfWanted(backend, token, registration);
        }
    }

    private void ArmIfWanted(IoUringBackend backend, ulong token, Registration registration)
    {
        if (registration.Interest == Interest.None || registration.IsArmed)
        {
            return;
        }

        uint events = 0;
        if ((registration.Interest & Interest.Read) != 0) events |= Epoll.EPOLLIN | Epoll.EPOLLRDHUP;
        if ((registration.Interest & Interest.Write) != 0) events |= Epoll.EPOLLOUT;
        backend.Poll(registration.Fd, token, events);
        registration.IsArmed = true;
    }

    private static ReadyFlags ToReadyFlags(uint events)
    {
        ReadyFlags flags = ReadyFlags.None;
        if ((events & Epoll.EPOLLIN) != 0) flags |= ReadyFlags.Readable;
        if ((events & Epoll.EPOLLOUT) != 0) flags |= ReadyFlags.Writable;
        if ((events & (Epoll.EPOLLRDHUP | Epoll.EPOLLHUP)) != 0) flags |= ReadyFlags.Hangup;
        if ((events & Epoll.EPOLLERR) != 0) flags |= ReadyFlags.Error;
        return flags;
    }

    private sealed class Registration(int fd, Interest interest)
    {
        public int Fd { get; } = fd;

        public Interest Interest { get; set; } = interest;

        public bool IsArmed { get; set; }
    }
}
