using System.Diagnostics;
using Netpoll.Diagnostics;
using Netpoll.Interop;
using Netpoll.Polling;

namespace Netpoll.Server;

/// <summary>
/// Accepts on a listener from its poller thread. On a readiness backend: accept until EAGAIN (bounded per
/// event, level-triggered brings it back). On a completion backend: up to 64 single-shot accepts in flight,
/// each re-armed when it completes (they ride the loop turn's one enter); single-shot because an accept
/// reads RLIMIT_NOFILE when it is submitted, and a long-lived multishot one would not see a lowered limit.
/// Out of fds (EMFILE/ENFILE, or an accepted fd within <see cref="FdReserve.Size"/> of RLIMIT_NOFILE) it gives
/// the process's <see cref="FdReserve"/> back and sheds: every connection that waits or arrives is accepted and
/// reset at once (AcceptsShed), so clients see a refusal rather than a hang and the freed fds stay headroom for the
/// process. Both backends watch the listener by readiness then and accept synchronously (a ring accept reserves
/// its fd before it waits, so one armed at the limit fails at once and would spin). On a growing timer (10 ms to
/// 1 s) it takes the reserve back, once the process has that much free again, and serves. If even the released
/// reserve is taken by others, accept pauses until the timer instead of spinning. The timer keeps growing across
/// spells that follow each other (clients coming and going at the limit run it short again soon after each restore):
/// it starts again at 10 ms only once the acceptor has served for <see cref="CalmMs"/> since the last spell ended, so
/// the restore's count of the fd table (≈ 15 ms on the poller at 19,000 fds) runs at most about once a second.
/// Paused on request (<see cref="SetAcceptingAsync"/>), it takes what the kernel has already queued and then the
/// socket stops listening, so the kernel refuses connection attempts.
/// </summary>
internal sealed class Acceptor : IPollable, IPollerTask
{
    private const int AcceptsPerEvent = 256;
    // Accepts in flight on a completion backend: at most this many connections are taken per loop turn (each
    // completion re-arms for the next turn's enter), so a burst of N waits N / this many turns in the backlog.
    // 4 let a proxy under load take ~0.5 s to accept a burst of 1000; pending accepts cost nothing while idle
    // (the kernel wakes one per connection: accept polls are exclusive).
    private const int AcceptsInFlight = 64;
    private const int MinBackoffMs = 10;
    private const int MaxBackoffMs = 1000;
    // Served this long since the last back-off ended without another: out of the trouble, the next back-off starts at
    // MinBackoffMs again. Sooner, it is the same trouble coming back, and the wait goes on doubling from the last one.
    private const int CalmMs = MaxBackoffMs;

    private readonly EventLoop _loop;
    private readonly NetpollListener _listener;
    private readonly Poller _poller;
    private readonly CompletionBackend? _ring;
    private ulong _token;
    private int _backoffMs;           // the last back-off's wait (0: none yet); it grows while the trouble lasts (NextBackoffMs)
    private long _servingSinceMs;     // Environment.TickCount64 when the last back-off ended and the acceptor served again
    private int _accepting;           // completion backend: accepts in flight
    private bool _pausedForFds;       // not accepting until OnDeadline: out of memory, or out of fds with the reserve released
    // Out of fds: this acceptor released the FdReserve, sheds what it accepts, watches the listener by readiness
    // (no ring accepts armed) and has a deadline scheduled that tries to restore the reserve. Cleared only there.
    private bool _shedding;
    private bool _deadlinePending; // an OnDeadline is scheduled (the wheel would run each one scheduled)
    private int _fdCeiling = int.MaxValue; // RLIMIT_NOFILE soft - FdReserve.Size: an accepted fd at or above it leaves the process too few
    private bool _stopped;
    private bool _registered;
    private bool _refusing;           // poller: paused on request; the socket does not listen
    private bool _resetWhileRefusing; // poller: the socket could not stop listening, so what it accepts is reset

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
        if (!_stopped)
        {
            AcceptQueued();
        }
    }

    public void OnCompleted(in Completion completion)
    {
        _accepting--;
        int result = completion.Result;
        if (result >= 0)
        {
            _ = Accepted(result);
        }
        else if (_shedding && IsOutOfFds(-result))
        {
            // Armed before the reserve was released (a ring accept takes its fd before it waits): the readiness
            // watch now finds what waits and sheds it.
        }
        else if (!_stopped && !_refusing && result != -IoUring.ECANCELED)
        {
            _ = Failed(-result);
        }

        if (_stopped && _accepting == 0 && _registered)
        {
            _registered = false;
            _poller.Unregister(_listener.Fd, _token);
        }
        else
        {
            ArmAccepts(); // tops up what completed, unless paused, refusing or stopped
        }
    }

    public void OnDeadline(long nowMs)
    {
        _deadlinePending = false;
        if (_stopped)
        {
            return;
        }

        if (_shedding)
        {
            if (FdReserve.TryRestore())
            {
                _shedding = false;
                _pausedForFds = false;
                _servingSinceMs = Environment.TickCount64;
                RefreshFdCeiling();
                Serve();
                return;
            }

            // Still short: keep shedding (watching again if even the released reserve had been taken), try later.
            _backoffMs = Math.Min(_backoffMs * 2, MaxBackoffMs);
            _pausedForFds = false;
            Watch(true);
            ScheduleDeadline();
            return;
        }

        if (_pausedForFds)
        {
            _pausedForFds = false;
            _servingSinceMs = Environment.TickCount64;
            Serve();
        }
    }

    /// <summary>A new connection's fd: hand it to the loop, or reset it while refusing. True: keep accepting.</summary>
    private bool Accepted(int fd)
    {
        if (_resetWhileRefusing || _stopped)
        {
            // Refusing, yet accepted, on a platform that could not stop listening: the client is refused the
            // way a closed port refuses it. (A ring accept that completes after a pause took a connection the
            // kernel completed before it, and is served like the ones the pause drained.)
            NativeSocket.Reset(fd);
            return true;
        }

        // A reserve another acceptor released (its loop may have stopped since, or fds came back before its deadline)
        // is taken back here first if it can be: else this acceptor would shed while nothing is short.
        if (_shedding || (FdReserve.IsReleased && !FdReserve.TryRestore()) || (fd >= _fdCeiling && IsNearFdLimit(fd)))
        {
            if (!_shedding)
            {
                StartShedding(Errno.EMFILE);
            }

            NativeSocket.Reset(fd);
            _poller.Counters[PollerCounter.AcceptsShed]++;
            return true;
        }

        if (!_loop.Admits(fd))
        {
            _poller.Counters[PollerCounter.AcceptsRejected]++; // reset: counted apart, so Accepted − Closed stays what is open
            return true;
        }

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

        if (IsOutOfFds(errno))
        {
            if (!_shedding)
            {
                StartShedding(errno);
                return true; // the released reserve makes room: accept again, and shed
            }

            PauseForFds(errno); // out even with the reserve released: others took it
            return false;
        }

        if (errno == Errno.ENOBUFS || errno == Errno.ENOMEM)
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

    private void Register()
    {
        // On the ring the registration carries no interest while serving (accepts are submitted); shedding
        // watches by readiness on it.
        _token = _poller.Register(_listener.Fd, this, _ring is null || _shedding ? Interest.Read : Interest.None);
        _registered = true;
        RefreshFdCeiling();
        ArmAccepts();
    }

    /// <summary>Completion backend: tops up the accepts in flight, unless paused, refusing, stopped or stopping.</summary>
    private void ArmAccepts()
    {
        if (_ring is null || !_registered || _pausedForFds || _shedding || (_refusing && !_resetWhileRefusing) || _stopped || _poller.IsStopping)
        {
            return;
        }

        for (; _accepting < AcceptsInFlight; _accepting++)
        {
            _ring.Accept(_listener.Fd, _token);
        }
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
            if (_ring is not null)
            {
                Watch(false); // a socket that stops listening reports hang-up to a readiness watch forever
            }

            _refusing = true;
            AcceptQueued();
            if (_ring is not null)
            {
                // The token stays attached: the accepts in flight end with the cancel (or the shutdown) and
                // are not re-armed while refusing.
                if (_accepting > 0)
                {
                    _ring.CancelAll(_listener.Fd);
                }
            }
            else if (_registered)
            {
                // Unregister first: a socket that stops listening reports hang-up forever, level-triggered.
                _registered = false;
                _poller.Unregister(_listener.Fd, _token);
            }

            if (!_listener.TryStopListening())
            {
                _resetWhileRefusing = true; // the platform cannot refuse: accept and reset instead
                if (!_registered)
                {
                    Register();
                }
                else
                {
                    ArmAccepts();
                }
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
        else if (_shedding && !_pausedForFds)
        {
            Watch(true);
        }
        else
        {
            ArmAccepts();
        }
    }

    /// <summary>
    /// Accepts what the kernel has completed, until EAGAIN (bounded per call; level-triggered readiness brings the
    /// rest back). Also run by a pause before the socket stops listening, which would reset those connections: their
    /// clients connected while the server was accepting, and are served. Not while out of fds.
    /// </summary>
    private void AcceptQueued()
    {
        if (_pausedForFds)
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

    /// <summary>One deadline at a time: a memory pause and an fd shortage share it.</summary>
    private void ScheduleDeadline()
    {
        if (!_deadlinePending)
        {
            _deadlinePending = true;
            _poller.Schedule(this, Environment.TickCount64 + _backoffMs);
        }
    }

    /// <summary>
    /// The wait of a back-off that starts now: <see cref="MinBackoffMs"/> for the first, or once the acceptor has served
    /// <see cref="CalmMs"/> since the last one ended; else double the last (at most <see cref="MaxBackoffMs"/>). Not reset
    /// by an accepted connection: near the fd limit a few are served after every restore, and the next one runs short again.
    /// </summary>
    private int NextBackoffMs() =>
        _backoffMs == 0 || Environment.TickCount64 - _servingSinceMs >= CalmMs ? MinBackoffMs : Math.Min(_backoffMs * 2, MaxBackoffMs);

    private static bool IsOutOfFds(int errno) => errno == Errno.EMFILE || errno == Errno.ENFILE;

    /// <summary>
    /// Out of fds: gives the process's reserve back, and from now sheds every connection accepted (any backend:
    /// by readiness and a synchronous accept) until <see cref="OnDeadline"/> can restore the reserve.
    /// </summary>
    private void StartShedding(int errno)
    {
        _shedding = true;
        FdReserve.Release();
        _backoffMs = NextBackoffMs();
        _poller.Counters[PollerCounter.AcceptBackoffs]++;
        Watch(true);
        ScheduleDeadline();
        _loop.OnAcceptBackoff(_listener, errno, _backoffMs);
    }

    /// <summary>Shedding, yet accept still finds no fd (others took the released reserve): stop watching until the deadline.</summary>
    private void PauseForFds(int errno)
    {
        if (_pausedForFds)
        {
            return;
        }

        _pausedForFds = true;
        Watch(false);
        Trace.TraceWarning($"netpoll: accept on {_listener} still failed with errno {errno} after the fd reserve was released; paused for {_backoffMs} ms");
    }

    /// <summary>Readiness on the listener: on epoll it is how accepts run; on the ring, how shedding finds what waits.</summary>
    private void Watch(bool on)
    {
        if (_registered && (!_refusing || _resetWhileRefusing))
        {
            _poller.Modify(_listener.Fd, _token, on ? Interest.Read : Interest.None);
        }
    }

    /// <summary>Accepts to serve again: readiness on epoll, submitted accepts on the ring.</summary>
    private void Serve()
    {
        if (_ring is null)
        {
            Watch(true);
        }
        else
        {
            Watch(false);
            ArmAccepts();
        }
    }

    /// <summary>An accepted fd at the ceiling: whether the limit (re-read: it may have been raised) still puts it there.</summary>
    private bool IsNearFdLimit(int fd)
    {
        RefreshFdCeiling();
        return fd >= _fdCeiling;
    }

    private void RefreshFdCeiling()
    {
        if (Libc.OpenFileSoftLimit() is ulong soft)
        {
            _fdCeiling = (int)Math.Min(soft - Math.Min(soft, (ulong)FdReserve.Size), int.MaxValue);
        }
    }

    private void BackOff(int errno)
    {
        if (_pausedForFds)
        {
            return; // another accept in flight met the same limit: one pause
        }

        _backoffMs = NextBackoffMs();
        _pausedForFds = true;
        _poller.Counters[PollerCounter.AcceptBackoffs]++;
        Watch(false);
        ScheduleDeadline();
        _loop.OnAcceptBackoff(_listener, errno, _backoffMs);
    }
}
