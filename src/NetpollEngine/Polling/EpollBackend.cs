using System.Runtime.InteropServices;
using Netpoll.Interop;

namespace Netpoll.Polling;

/// <summary>epoll, level-triggered, woken through an eventfd.</summary>
internal sealed unsafe class EpollBackend : ReadinessBackend
{
    private const int InitialCapacity = 64;
    private const int MaxCapacity = 8192;

    private readonly int _epfd;
    private readonly int _eventFd;
    private byte* _events;
    private int _capacity;
    private bool _disposed;

    public EpollBackend()
    {
        _epfd = Epoll.Create(Epoll.EPOLL_CLOEXEC);
        if (_epfd < 0)
        {
            throw SocketErrors.Last("epoll_create1");
        }

        _eventFd = Epoll.EventFd(0, Epoll.EFD_NONBLOCK | Epoll.EFD_CLOEXEC);
        if (_eventFd < 0)
        {
            int errno = Libc.LastError;
            _ = Libc.Close(_epfd);
            throw SocketErrors.Create("eventfd", errno);
        }

        if (Epoll.Control(_epfd, Epoll.EPOLL_CTL_ADD, _eventFd, Epoll.EPOLLIN, WakeToken) < 0)
        {
            int errno = Libc.LastError;
            _ = Libc.Close(_eventFd);
            _ = Libc.Close(_epfd);
            throw SocketErrors.Create("epoll_ctl(eventfd)", errno);
        }

        _capacity = InitialCapacity;
        _events = (byte*)NativeMemory.Alloc((nuint)(_capacity * Epoll.EventSize));
    }

    public override string Name => "epoll";

    public override PollerBackendKind Kind => PollerBackendKind.Epoll;

    public override void Add(int fd, ulong token, Interest interest) => Control(Epoll.EPOLL_CTL_ADD, fd, token, interest);

    public override void Modify(int fd, ulong token, Interest interest) => Control(Epoll.EPOLL_CTL_MOD, fd, token, interest);

    public override void Remove(int fd, ulong token)
    {
        // ENOENT/EBADF: already gone with its fd; nothing to undo.
        _ = Epoll.Control(_epfd, Epoll.EPOLL_CTL_DEL, fd, 0, 0);
    }

    public override int Wait(int timeoutMs)
    {
        while (true)
        {
            int n = Epoll.Wait(_epfd, _events, _capacity, timeoutMs);
            if (n >= 0)
            {
                return n;
            }

            int errno = Libc.LastError;
            if (errno != Errno.EINTR)
            {
                throw SocketErrors.Create("epoll_wait", errno);
            }
        }
    }

    protected override ulong GetEvent(int index, out ReadyFlags flags)
    {
        byte* ev = _events + (index * Epoll.EventSize);
        uint bits = *(uint*)ev;
        flags = ReadyFlags.None;
        if ((bits & Epoll.EPOLLIN) != 0) flags |= ReadyFlags.Readable;
        if ((bits & Epoll.EPOLLOUT) != 0) flags |= ReadyFlags.Writable;
        if ((bits & (Epoll.EPOLLRDHUP | Epoll.EPOLLHUP)) != 0) flags |= ReadyFlags.Hangup;
        if ((bits & Epoll.EPOLLERR) != 0) flags |= ReadyFlags.Error;
        return *(ulong*)(ev + Epoll.DataOffset);
    }

    protected override void GrowIfFull(int lastCount)
    {
        if (lastCount == _capacity && _capacity < MaxCapacity)
        {
            _capacity *= 2;
            _events = (byte*)NativeMemory.Realloc(_events, (nuint)(_capacity * Epoll.EventSize));
        }
    }

    public override void Wake()
    {
        ulong one = 1;
        _ = Libc.Write(_eventFd, (byte*)&one, sizeof(ulong));
    }

    protected override void ResetWake()
    {
        ulong value;
        _ = Libc.Read(_eventFd, (byte*)&value, sizeof(ulong));
    }

    public override void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _ = Libc.Close(_eventFd);
        _ = Libc.Close(_epfd);
        NativeMemory.Free(_events);
        _events = null;
    }

    private void Control(int op, int fd, ulong token, Interest interest)
    {
        // RDHUP goes with read interest: once the peer's FIN is consumed, level-triggered RDHUP would fire forever.
        uint events = 0;
        if ((interest & Interest.Read) != 0) events |= Epoll.EPOLLIN | Epoll.EPOLLRDHUP;
        if ((interest & Interest.Write) != 0) events |= Epoll.EPOLLOUT;
        if (Epoll.Control(_epfd, op, fd, events, token) < 0)
        {
            throw SocketErrors.Create(op == Epoll.EPOLL_CTL_ADD ? "epoll_ctl(ADD)" : "epoll_ctl(MOD)", Libc.LastError, $"for fd {fd}");
        }
    }
}
