using System.Diagnostics;
using Netpoll.Diagnostics;
using Netpoll.Interop;
using Netpoll.Polling;

namespace Netpoll.Server;

/// <summary>
/// Accepts on a listener from its poller thread: accept until EAGAIN (bounded per event, level-triggered
/// brings it back). Out of fds (EMFILE/ENFILE) it stops listening for a growing pause instead of
/// spinning, and resumes by itself when fds free up. Paused on request (<see cref="SetAcceptingAsync"/>),
/// the socket stops listening so the kernel refuses connection attempts.
/// </summary>
internal sealed class Acceptor : IPollable, IPollerTask
{
    private const int AcceptsPerEvent = 256;
    private const int MinBackoffMs = 10;
    private const int MaxBackoffMs = 1000;

    private readonly EventLoop _loop;
    private readonly NetpollListener _listener;
    private readonly Poller _poller;
    private ulong _token;
    private int _backoffMs;
    private bool _pausedForFds;
    private bool _stopped;
    private bool _registered;
    private bool _refusing;           // poller: paused on request; the socket does not listen
    private bool _resetWhileRefusing; // poller: the socket could not stop listening, so what it accepts is reset

    public Acceptor(EventLoop loop, NetpollListener listener, Poller poller)
    {
        _loop = loop;
        _listener = listener;
        _poller = poller;
    }

    /// <summary>Poller task: first run registers; a run after <see cref="Stop"/> unregisters.</summary>
    public void Run(Poller poller)
    {
        if (_stopped)
        {
            if (_registered)
            {
                _registered = false;
                _poller.Unregister(_listener.Fd, _token);
            }

            return;
        }

        if (!_registered && !_refusing)
        {
            Register();
        }
    }

    public void Start() => _poller.Post(this);

    public void Stop()
    {
        _stopped = true;
        _poller.Post(this);
    }

    /// <summary>Stops (false) or resumes (true) accepting; completes once the poller has done it. Idempotent.</summary>
    public Task SetAcceptingAsync(bool accepting)
    {
        var change = new AcceptingChange(this, accepting);
        _poller.Post(change);
        return change.Completion;
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
            if (fd >= 0 && _resetWhileRefusing)
            {
                NativeSocket.SetAbortiveClose(fd);
                _ = Libc.Close(fd);
                continue;
            }

            if (fd >= 0)
            {
                _backoffMs = 0;
                _poller.Counters[PollerCounter.Accepted]++;
                _loop.OnAccepted(fd, _listener);
                continue;
            }

            if (errno == Errno.EAGAIN)
            {
                return;
            }

            if (errno == Errno.EMFILE || errno == Errno.ENFILE || errno == Errno.ENOBUFS || errno == Errno.ENOMEM)
            {
                BackOff(errno);
                return;
            }

            if (errno == Errno.ECONNABORTED)
            {
                continue; // the peer gave up while queued; take the next one
            }

            Trace.TraceWarning($"netpoll: accept on {_listener} failed with errno {errno}");
            NetpollEventSource.Log.AcceptFailed(_loop.Name, _listener.LocalEndPoint.ToString() ?? "", errno);
            return;
        }
    }

    public void OnDeadline(long nowMs)
    {
        if (!_pausedForFds || _stopped)
        {
            return;
        }

        _pausedForFds = false;
        if (_registered)
        {
            _poller.Modify(_listener.Fd, _token, Interest.Read);
        }
    }

    private void Register()
    {
        _token = _poller.Register(_listener.Fd, this, Interest.Read);
        _registered = true;
    }

    /// <summary>Poller thread: applies a pause or resume. Throws when the socket cannot listen again (it stays paused).</summary>
    private void ApplyAccepting(bool accepting)
    {
        if (_stopped || accepting != _refusing)
        {
            return; // stopped, or already in the state asked for
        }

        if (!accepting)
        {
            // Unregister first: a socket that stops listening reports hang-up forever, level-triggered.
            if (_registered)
            {
                _registered = false;
                _poller.Unregister(_listener.Fd, _token);
            }

            _refusing = true;
            if (!_listener.TryStopListening())
            {
                _resetWhileRefusing = true; // the platform cannot refuse: accept and reset instead
                Register();
            }

            return;
        }

        if (!_resetWhileRefusing)
        {
            _listener.ListenAgain();
        }

        _refusing = false;
        _resetWhileRefusing = false;
        if (!_registered)
        {
            Register();
        }
    }

    /// <summary>A pause or resume handed to the acceptor's poller, with a task for the caller.</summary>
    private sealed class AcceptingChange(Acceptor acceptor, bool accepting) : IPollerTask
    {
        private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Completion => _done.Task;

        public void Run(Poller poller)
        {
            try
            {
                acceptor.ApplyAccepting(accepting);
                _done.TrySetResult();
            }
            catch (Exception ex)
            {
                _done.TrySetException(ex);
            }
        }
    }

    private void BackOff(int errno)
    {
        _backoffMs = _backoffMs == 0 ? MinBackoffMs : Math.Min(_backoffMs * 2, MaxBackoffMs);
        _pausedForFds = true;
        _poller.Counters[PollerCounter.AcceptBackoffs]++;
        _poller.Modify(_listener.Fd, _token, Interest.None);
        _poller.Schedule(this, Environment.TickCount64 + _backoffMs);
        _loop.OnAcceptBackoff(_listener, errno, _backoffMs);
    }
}
