using System.Runtime.InteropServices;
using Netpoll.Interop;

namespace Netpoll.Polling;

/// <summary>kqueue with the same level-triggered semantics as epoll; woken through EVFILT_USER.</summary>
internal sealed unsafe class KqueueBackend : ReadinessBackend
{
    private const int InitialCapacity = 64;
    private const int MaxCapacity = 8192;

    private readonly int _kq;
    private Kqueue.KEvent* _events;
    private int _capacity;
    private bool _disposed;

    public KqueueBackend()
    {
        _kq = Kqueue.Create();
        if (_kq < 0)
        {
            throw SocketErrors.Last("kqueue");
        }

        Kqueue.KEvent wake = default;
        wake.Ident = 0;
        wake.Filter = Kqueue.EVFILT_USER;
        wake.Flags = Kqueue.EV_ADD | Kqueue.EV_CLEAR;
        wake.UserData = (nuint)WakeToken;
        if (Kqueue.KEventCall(_kq, &wake, 1, null, 0, null) < 0)
        {
            int errno = Libc.LastError;
            _ = Libc.Close(_kq);
            throw SocketErrors.Create("kevent(EVFILT_USER)", errno);
        }

        _capacity = InitialCapacity;
        _events = (Kqueue.KEvent*)NativeMemory.Alloc((nuint)(_capacity * sizeof(Kqueue.KEvent)));
    }

    public override string Name => "kqueue";

    public override PollerBackendKind Kind => PollerBackendKind.Kqueue;

    public override void Add(int fd, ulong token, Interest interest) => Apply(fd, token, interest);

    public override void Modify(int fd, ulong token, Interest interest) => Apply(fd, token, interest);

    public override void Remove(int fd, ulong token)
    {
        Kqueue.KEvent* changes = stackalloc Kqueue.KEvent[2];
        changes[0] = Change(fd, Kqueue.EVFILT_READ, Kqueue.EV_DELETE | Kqueue.EV_RECEIPT, 0);
        changes[1] = Change(fd, Kqueue.EVFILT_WRITE, Kqueue.EV_DELETE | Kqueue.EV_RECEIPT, 0);
        Kqueue.KEvent* results = stackalloc Kqueue.KEvent[2];
        _ = Kqueue.KEventCall(_kq, changes, 2, results, 2, null); // ENOENT for a filter never added is fine
    }

    public override int Wait(int timeoutMs)
    {
        Kqueue.TimeSpec timeout = default;
        Kqueue.TimeSpec* pTimeout = null;
        if (timeoutMs >= 0)
        {
            timeout.Seconds = timeoutMs / 1000;
            timeout.Nanoseconds = (nint)((timeoutMs % 1000) * 1_000_000L);
            pTimeout = &timeout;
        }

        while (true)
        {
            int n = Kqueue.KEventCall(_kq, null, 0, _events, _capacity, pTimeout);
            if (n >= 0)
            {
                return n;
            }

            int errno = Libc.LastError;
            if (errno != Errno.EINTR)
            {
                throw SocketErrors.Create("kevent", errno);
            }
        }
    }

    protected override ulong GetEvent(int index, out ReadyFlags flags)
    {
        Kqueue.KEvent ev = _events[index];
        flags = ev.Filter switch
        {
            Kqueue.EVFILT_READ => ReadyFlags.Readable,
            Kqueue.EVFILT_WRITE => ReadyFlags.Writable,
            _ => ReadyFlags.None,
        };
        if ((ev.Flags & Kqueue.EV_EOF) != 0) flags |= ReadyFlags.Hangup;
        if ((ev.Flags & Kqueue.EV_ERROR) != 0) flags |= ReadyFlags.Error;
        return ev.UserData;
    }

    protected override void GrowIfFull(int lastCount)
    {
        if (lastCount == _capacity && _capacity < MaxCapacity)
        {
            _capacity *= 2;
            _events = (Kqueue.KEvent*)NativeMemory.Realloc(_events, (nuint)(_capacity * sizeof(Kqueue.KEvent)));
        }
    }

    public override void Wake()
    {
        Kqueue.KEvent trigger = default;
        trigger.Ident = 0;
        trigger.Filter = Kqueue.EVFILT_USER;
        trigger.FilterFlags = Kqueue.NOTE_TRIGGER;
        trigger.UserData = (nuint)WakeToken;
        _ = Kqueue.KEventCall(_kq, &trigger, 1, null, 0, null);
    }

    protected override void ResetWake()
    {
        // EV_CLEAR resets the user event when it is delivered.
    }

    public override void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _ = Libc.Close(_kq);
        NativeMemory.Free(_events);
        _events = null;
    }

    private static Kqueue.KEvent Change(int fd, short filter, ushort flags, ulong token) => new()
    {
        Ident = (nuint)fd,
        Filter = filter,
        Flags = flags,
        UserData = (nuint)token,
    };

    // EV_ADD on an existing filter updates it, so add and modify are the same call.
    private void Apply(int fd, ulong token, Interest interest)
    {
        Kqueue.KEvent* changes = stackalloc Kqueue.KEvent[2];
        changes[0] = Change(fd, Kqueue.EVFILT_READ, (ushort)(Kqueue.EV_ADD | Kqueue.EV_RECEIPT | ((interest & Interest.Read) != 0 ? Kqueue.EV_ENABLE : Kqueue.EV_DISABLE)), token);
        changes[1] = Change(fd, Kqueue.EVFILT_WRITE, (ushort)(Kqueue.EV_ADD | Kqueue.EV_RECEIPT | ((interest & Interest.Write) != 0 ? Kqueue.EV_ENABLE : Kqueue.EV_DISABLE)), token);
        Kqueue.KEvent* results = stackalloc Kqueue.KEvent[2];
        int n = Kqueue.KEventCall(_kq, changes, 2, results, 2, null);
        if (n < 0)
        {
            throw SocketErrors.Create("kevent(register)", Libc.LastError, $"for fd {fd}");
        }

        for (int i = 0; i < n; i++)
        {
            if ((results[i].Flags & Kqueue.EV_ERROR) != 0 && results[i].Data != 0)
            {
                throw SocketErrors.Create("kevent(register)", (int)results[i].Data, $"for fd {fd}");
            }
        }
    }
}
