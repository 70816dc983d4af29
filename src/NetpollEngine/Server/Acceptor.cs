using System.Diagnostics;
using Netpoll.Diagnostics;
using Netpoll.Interop;
using Netpoll.Polling;

namespace Netpoll.Server;

/// <summary>
/// Accepts on a listener from its poller thread. On a readiness backend: accept until EAGAIN (bounded per
/// event, level-triggered brings it back). On a completion backend: a few single-shot accepts in flight,
/// each re-armed when it completes (they ride the loop turn's one enter); single-shot because an accept
/// reads RLIMIT_NOFILE when it is submitted, and a long-lived multishot one would not see a lowered limit.
/// Out of fds (EMFILE/ENFILE) it stops accepting for a growing pause instead of spinning, and resumes by
/// itself when fds free up.
/// </summary>
internal sealed class Acceptor : IPollable, IPollerTask
{
    private const int AcceptsPerEvent = 256;
    private const int AcceptsInFlight = 4;
    private const int MinBackoffMs = 10;
    private const int MaxBackoffMs = 1000;

    private readonly EventLoop _loop;
    private readonly NetpollListener _listener;
    private readonly Poller _poller;
    private readonly CompletionBackend? _ring;
    private ulong _token;
    private int _backoffMs;
    private int _accepting;   // completion backend: accepts in flight
    private bool _pausedForFds;
    private bool _stopped;
    private bool _registered;

    public Acceptor(EventLoop loop, NetpollListener listener, Poller poller)
    {
        _loop = loop;
        _listener = listener;
        _poller = poller;
        _ring = poller.Completion;
    }

    /// <summary>Poller task: first run registers; a run after <see cref="Stop"/> unregisters.</summary>
    public void Run(Poller poller)
    {
        if (_stopped)
        {
            if (_registered && _accepting > 0)
            {
                _ring!.CancelAll(_listener.Fd); // the last accept's completion retires the token
            }
            else if (_registered)
            {
                _registered = false;
                _poller.Unregister(_listener.Fd, _token);
            }

            return;
        }

        if (!_registered)
        {
            _token = _ring is null ? _poller.Register(_listener.Fd, this, Interest.Read) : _poller.Attach(this);
            _registered = true;
            ArmAccepts();
        }
    }

    public void Start() => _poller.Post(this);

    public void Stop()
    {
        _stopped = true;
        _poller.Post(this);
    }

    public void OnReady(ReadyFlags flags)
    {
        if (_stopped || _pausedForFds)
        {
            return;
        }

        for (int i = 0; i < AcceptsPerEvent; i++)
        {
            int fd = NativeSocket.Accept(_listener.Fd, out int errno);
            if (fd >= 0 ? !Accepted(fd) : !Failed(errno))
            {
                return;
            }
        }
    }

    public void OnCompleted(in Completion completion)
    {
        _accepting--;
        int result = completion.Result;
        bool more = result >= 0 ? Accepted(result) : !_stopped && result != -IoUring.ECANCELED && Failed(-result);
        if (_stopped && _accepting == 0 && _registered)
        {
            _registered = false;
            _poller.Unregister(_listener.Fd, _token);
        }
        else if (more)
        {
            ArmAccepts();
        }
    }

    public void OnDeadline(long nowMs)
    {
        if (!_pausedForFds || _stopped)
        {
            return;
        }

        _pausedForFds = false;
        if (_ring is null)
        {
            _poller.Modify(_listener.Fd, _token, Interest.Read);
        }
        else
        {
            ArmAccepts();
        }
    }

    /// <summary>A new connection's fd: hand it to the loop. True: keep accepting.</summary>
    private bool Accepted(int fd)
    {
        _backoffMs = 0;
        _poller.Counters[PollerCounter.Accepted]++;
        _loop.OnAccepted(fd, _listener);
        return true;
    }

    /// <summary>An accept failed with <paramref name="errno"/>. True: try the next one.</summary>
    private bool Failed(int errno)
    {
        if (errno == Errno.EAGAIN)
        {
            return false;
        }

        if (errno == Errno.EMFILE || errno == Errno.ENFILE || errno == Errno.ENOBUFS || errno == Errno.ENOMEM)
        {
            BackOff(errno);
            return false;
        }

        if (errno == Errno.ECONNABORTED || errno == Errno.EINTR)
        {
            return true; // the peer gave up while queued; take the next one
        }

        Trace.TraceWarning($"netpoll: accept on {_listener} failed with errno {errno}");
        NetpollEventSource.Log.AcceptFailed(_loop.Name, _listener.LocalEndPoint.ToString() ?? "", errno);
        return _ring is not null; // a completion backend has no readiness to come back: keep one accept armed
    }

    /// <summary>Completion backend: tops up the accepts in flight, unless paused, stopped or stopping.</summary>
    private void ArmAccepts()
    {
        if (_ring is null || _pausedForFds || _stopped || _poller.IsStopping)
        {
            return;
        }

        for (; _accepting < AcceptsInFlight; _accepting++)
        {
            _ring.Accept(_listener.Fd, _token);
        }
    }

    private void BackOff(int errno)
    {
        if (_pausedForFds)
        {
            return; // another accept in flight met the same limit: one pause
        }

        _backoffMs = _backoffMs == 0 ? MinBackoffMs : Math.Min(_backoffMs * 2, MaxBackoffMs);
        _pausedForFds = true;
        _poller.Counters[PollerCounter.AcceptBackoffs]++;
        if (_ring is null)
        {
            _poller.Modify(_listener.Fd, _token, Interest.None);
        }

        _poller.Schedule(this, Environment.TickCount64 + _backoffMs);
        _loop.OnAcceptBackoff(_listener, errno, _backoffMs);
    }
}
