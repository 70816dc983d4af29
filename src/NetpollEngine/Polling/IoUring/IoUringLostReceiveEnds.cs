using Netpoll.Interop;

namespace Netpoll.Polling;

/// <summary>
/// Fault injection (<see cref="IoUringBackend.LoseReceiveErrors"/>): the receives whose error end the backend held back,
/// as a kernel that missed the reset's wake-up leaves its multishot receive armed. Each is released, as −ECANCELED, by a
/// cancel of it, of its fd, or the drain. Test-only bookkeeping: it keeps every token it saw. Issuer thread only.
/// </summary>
internal sealed class IoUringLostReceiveEnds
{
    private readonly HashSet<ulong> _seen = [];           // tokens whose first receive was armed while injecting: only that one can lose its end
    private readonly Dictionary<ulong, int> _armed = []; // token → fd of those first receives, still running
    private readonly Dictionary<ulong, int> _lost = [];  // token → fd of the receives whose end was held back

    /// <summary>A receive was armed. Only a registration's first can lose its end: the kernel loses a wake-up, not every receive after it.</summary>
    public void Armed(int fd, ulong token)
    {
        if (_seen.Add(token))
        {
            _armed[token] = fd;
        }
    }

    /// <summary>Holds back the end of <paramref name="token"/>'s receive if it ended with the peer's reset.</summary>
    public bool TryLose(ulong token, int result)
    {
        if (result != -Errno.ECONNRESET || !_armed.Remove(token, out int fd))
        {
            return false;
        }

        _lost[token] = fd;
        return true;
    }

    /// <summary>A cancel of <paramref name="token"/>'s receive: true if its end was held back (post it); else its end, still to come, is not held back.</summary>
    public bool TakeByToken(ulong token)
    {
        if (_lost.Remove(token))
        {
            return true;
        }

        _armed.Remove(token);
        return false;
    }

    /// <summary>A cancel of every operation on <paramref name="fd"/>: one receive whose end was held back, or null; the others' ends are not held back.</summary>
    public ulong? TakeByFd(int fd)
    {
        foreach ((ulong token, int armedFd) in _armed)
        {
            if (armedFd == fd)
            {
                _armed.Remove(token);
            }
        }

        foreach ((ulong token, int lostFd) in _lost)
        {
            if (lostFd == fd)
            {
                _lost.Remove(token);
                return token;
            }
        }

        return null;
    }

    public ulong? TakeAny()
    {
        foreach (ulong token in _lost.Keys)
        {
            _lost.Remove(token);
            return token;
        }

        return null;
    }
}
