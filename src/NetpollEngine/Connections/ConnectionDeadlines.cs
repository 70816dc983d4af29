namespace Netpoll.Connections;

/// <summary>
/// A connection's deadlines, as TickCount64 milliseconds: idle (from the last byte moved), read (a pending
/// reader wait), write (a flush waiting for the socket), request (one the protocol sets: an HTTP head or body
/// that must arrive in time), handshake (a transform's, from registration until it completes) and close drain (a
/// graceful close waiting for its output, Connection.CloseDrain.cs). Any thread arms and clears the first four;
/// only the poller thread sets the last two, schedules them on its timer wheel and fires them (Connection.Deadlines.cs).
/// </summary>
internal struct ConnectionDeadlines(long now)
{
    private long _lastActivity = now;  // any thread: when a byte last moved either way
    private long _read;                // any thread: when the pending reader wait times out; 0: none
    private long _write;               // any thread: when a flush still waiting closes the connection; 0: none
    private long _request;             // any thread: when the handler's OnRequestDeadline runs; 0: none
    private long _requestTimeout;      // any thread, with _request: the timeout it was armed with (ms), for the event
    // Poller: while a handshake runs, when it fails (0: none); once a graceful close waits for its output, when it
    // stops waiting (0: not waiting yet). One slot, never both at once: a close during a handshake does not wait for
    // its output, and the handshake's deadline is cleared when the handshake ends.
    private long _handshakeOrDrain;
    private long _scheduled;           // poller: due time of the live wheel entry; 0: none

    public readonly long LastActivity => Volatile.Read(in _lastActivity);

    public readonly long Read => Volatile.Read(in _read);

    public readonly long Write => Volatile.Read(in _write);

    public readonly long Request => Volatile.Read(in _request);

    public readonly long RequestTimeout => Volatile.Read(in _requestTimeout);
    public readonly long Handshake => _handshakeOrDrain;

    public readonly long CloseDrain => _handshakeOrDrain;

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
    public void SetHandshake(long due) => _handshakeOrDrain = due;

    public void SetCloseDrain(long due) => _handshakeOrDrain = due;

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
