namespace Netpoll.Connections;

/// <summary>
/// A connection's deadlines, as TickCount64 milliseconds: idle (from the last byte moved), read (a pending
/// reader wait), write (a flush waiting for the socket), request (one the protocol sets: an HTTP head or body
/// that must arrive in time) and handshake (a transform's, from registration until it completes). Any thread
/// arms and clears them;
/// only the poller thread schedules them on its timer wheel and fires them (Connection.Deadlines.cs).
/// </summary>
internal struct ConnectionDeadlines(long now)
{
    private long _lastActivity = now;  // any thread: when a byte last moved either way
    private long _read;                // any thread: when the pending reader wait times out; 0: none
    private long _write;               // any thread: when a flush still waiting closes the connection; 0: none
    private long _request;             // any thread: when the handler's OnRequestDeadline runs; 0: none
    private long _requestTimeout;      // any thread, with _request: the timeout it was armed with (ms), for the event
    private long _handshake;           // poller: when a handshake still running closes the connection; 0: none
    private long _scheduled;           // poller: due time of the live wheel entry; 0: none

    public readonly long LastActivity => Volatile.Read(in _lastActivity);

    public readonly long Read => Volatile.Read(in _read);

    public readonly long Write => Volatile.Read(in _write);

    public readonly long Request => Volatile.Read(in _request);

    public readonly long RequestTimeout => Volatile.Read(in _requestTimeout);
    public readonly long Handshake => Volatile.Read(in _handshake);

    /// <summary>Poller: due time of the wheel entry that counts, 0 when none is live.</summary>
    public long Scheduled
    {
        readonly get => _scheduled;
        set => _scheduled = value;
    }

    public void Touch(long now) => Volatile.Write(ref _lastActivity, now);

    public void SetRead(long due) => Volatile.Write(ref _read, due);

    public void SetWrite(long due) => Volatile.Write(ref _write, due);

    public void SetRequest(long due, long timeout)
    {
        Volatile.Write(ref _requestTimeout, timeout);
        Volatile.Write(ref _request, due);
    }
    public void SetHandshake(long due) => Volatile.Write(ref _handshake, due);

    /// <summary>The earliest armed deadline, or long.MaxValue when none is armed.</summary>
    public readonly long Earliest(long idleMs)
    {
        long due = idleMs > 0 ? LastActivity + idleMs : long.MaxValue;
        if (Read is var read and not 0)
        {
            due = Math.Min(due, read);
        }

        if (Write is var write and not 0)
        {
            due = Math.Min(due, write);
        }

        if (Request is var request and not 0)
        {
            due = Math.Min(due, request);
        }

        if (Handshake is var handshake and not 0)
        {
            due = Math.Min(due, handshake);
        }

        return due;
    }
}
