using System.Net.Sockets;
using Netpoll.Buffers;
using Netpoll.Connections;

namespace Netpoll.Proxy;

/// <summary>
/// One direction of a proxied connection: reads its source, applies this direction's toxics, writes
/// its destination, and passes the source's end (FIN or failure) on after the data before it.
/// </summary>
/// <remarks>
/// <para>Two activities, at most one of each: the reader (the source's handler call, a loop lasting the
/// connection's life) and the drainer (started by the reader, a toxic change or the timer; it writes what
/// the queue holds once due). Backpressure both ways comes from waiting, never from buffering more:</para>
/// <para>Direct path (no toxic shapes the data, nothing queued): the reader moves the source's bytes to
/// the destination without copying (AppendFrom) and waits for the flush. While the destination is slow
/// the reader waits, the source's input fills to its high-water mark and the engine stops reading that
/// socket, so the sender's TCP window closes.</para>
/// <para>Toxic path: the reader moves chunks (slices sharing the source's memory) into the queue with the
/// time each is due, and waits once the queue holds the high-water mark; the drainer writes due entries,
/// waits for each flush, and lets the reader go on below the low-water mark. Time comes from one
/// <see cref="Timer"/> per direction, re-armed for the next due entry or deadline (no thread per connection;
/// callbacks run on the ThreadPool, never on a poller).</para>
/// </remarks>
internal sealed class ProxyPipe : IDisposable
{
    private readonly ProxyLink _link;
    private readonly int _highWater;          // the reader waits when the queue holds this many bytes ...
    private readonly int _lowWater;           // ... until the drainer brings it down to this many
    private readonly Lock _gate = new();      // guards everything below but _bytes
    private readonly Queue<PendingChunk> _queue = new();

    private Connection? _dest;                // set when the pipe starts; the drainer writes it
    private AppliedToxic[] _toxics = [];      // this direction's toxics, replaced whole by Sync
    private bool _shapesData;                 // an applied toxic changes the bytes: no direct path
    private long _queuedBytes;                // queued, or written by the drainer and not yet flushed
    private long _sequence;                   // the last queue entry's sequence number
    private long _releasedThrough;            // entries up to this sequence are due now (a toxic changed)
    private long _lastReleaseUs;              // due time of the last entry: entries leave in order
    private long _deadlineUs;                 // the earliest timeout/reset_peer deadline; 0: none
    private bool _draining;                   // a drainer runs
    private bool _ended;                      // the source's end is queued
    private bool _closed;                     // the connection ended: drop, write nothing more
    private TaskCompletionSource? _room;      // the reader, waiting for room in the queue
    private Timer? _timer;                    // wakes the drainer when the next entry or deadline is due

    private long _bytes;                      // written by the reader only: bytes read from the source
    private readonly TaskCompletionSource _sourceEnded = new(TaskCreationOptions.RunContinuationsAsynchronously); // the reader saw the source's end

    public ProxyPipe(ProxyLink link, ToxicStream stream, int highWater, int lowWater)
    {
        _link = link;
        Stream = stream;
        _highWater = highWater;
        _lowWater = lowWater;
    }

    public ToxicStream Stream { get; }

    /// <summary>Bytes read from the source so far.</summary>
    public long Bytes => Volatile.Read(ref _bytes);

    /// <summary>Completes when the reader saw its source end (FIN, reset or close), forwarding or not.</summary>
    public Task SourceEnded => _sourceEnded.Task;

    /// <summary>
    /// The reader: forwards <paramref name="source"/> to <paramref name="dest"/> until the source ends,
    /// queues its end, then waits for the whole connection to end (so the engine does not close the
    /// source while the other direction still writes to it). Runs as the source's handler call. Once the
    /// pipe is closed (the link ends, or the destination failed) it reads on and drops what it reads, so the
    /// source's kernel never holds unread input when its connection closes (that close would be a reset).
    /// </summary>
    public async ValueTask RunAsync(Connection source, Connection dest)
    {
        lock (_gate)
        {
            _dest = dest;
        }

        Kick(); // deadlines of toxics that met the connection before it started
        ConnectionReader reader = source.Reader;
        ConnectionWriter writer = dest.Writer;
        PendingKind end = PendingKind.End;
        ProxyCloseCause cause = ProxyCloseCause.Completed;
        while (true)
        {
            try
            {
                await reader.WaitAsync(1).ConfigureAwait(false);
            }
            catch (EndOfStreamException)
            {
                break; // FIN, after every byte before it was read
            }
            catch (ConnectionClosedException)
            {
                end = PendingKind.Failure;
                cause = _link.CauseOfEnd(this, source);
                break;
            }

            int n = reader.Length;
            Volatile.Write(ref _bytes, _bytes + n);
            if (CanWriteDirectly())
            {
                try
                {
                    ValueTask flushed = writer.AppendFromAndFlushAsync(reader, n);
                    reader.Release();
                    await flushed.ConfigureAwait(false);
                }
                catch (Exception ex) when (IsClosedConnection(ex))
                {
                    _link.OnDestinationFailed(this); // closes this pipe: what the source still sends is dropped
                }

                continue;
            }

            Task? room = Admit(reader, n); // a closed pipe drops the bytes here
            reader.Release();
            Kick();
            if (room is not null)
            {
                await room.ConfigureAwait(false);
            }
        }

        EndSource(end, cause);
        _sourceEnded.TrySetResult();
        await _link.Completion.ConfigureAwait(false);
    }

    /// <summary>Brings this direction's toxics in line with the proxy's list: new ones roll, updated ones roll again, removed ones go.</summary>
    public void Sync(IReadOnlyList<Toxic> toxics, long nowUs)
    {
        lock (_gate)
        {
            if (_closed)
            {
                return;
            }

            var next = new List<AppliedToxic>(toxics.Count);
            bool releaseHeld = false;
            foreach (Toxic toxic in toxics)
            {
                if (toxic.Stream != Stream || toxic.Type == ToxicType.Down)
                {
                    continue;
                }

                AppliedToxic? current = Array.Find(_toxics, a => a.Definition.Name == toxic.Name);
                if (current is not null && ReferenceEquals(current.Definition, toxic))
                {
                    next.Add(current);
                    continue;
                }

                releaseHeld |= current?.HoldsData == true;
                next.Add(new AppliedToxic(toxic, _link.Roll(toxic), current, nowUs));
            }

            foreach (AppliedToxic gone in _toxics)
            {
                releaseHeld |= gone.HoldsData && !next.Exists(a => a.Definition.Name == gone.Definition.Name);
            }

            if (releaseHeld)
            {
                // As toxiproxy does when a toxic is interrupted: what it held goes out now.
                _releasedThrough = _sequence;
                _lastReleaseUs = nowUs;
                foreach (AppliedToxic kept in next)
                {
                    kept.ClockUs = 0;
                }
            }

            _toxics = [.. next];
            _shapesData = next.Exists(a => a.ShapesData);
            UpdateDeadline();
        }

        Kick();
    }

    /// <summary>The connection ended: drop what is queued, write nothing more, let a waiting reader go.</summary>
    public void Close()
    {
        TaskCompletionSource? room;
        lock (_gate)
        {
            if (_closed)
            {
                return;
            }

            _closed = true;
            room = _room;
            _room = null;
            while (_queue.TryDequeue(out PendingChunk item))
            {
                item.Data?.Dispose();
            }

            _queuedBytes = 0;
            _timer?.Dispose();
            _timer = null;
        }

        room?.TrySetResult();
    }

    public void Dispose() => Close();

    private static bool IsClosedConnection(Exception ex) => ex is ConnectionClosedException or SocketException or ObjectDisposedException;

    private bool CanWriteDirectly()
    {
        lock (_gate)
        {
            return !_shapesData && !_draining && _queue.Count == 0 && !_closed;
        }
    }

    /// <summary>The toxic path for <paramref name="n"/> new bytes: gates, then timing, then shaping. Returns a task when the reader must wait for room.</summary>
    private Task? Admit(ConnectionReader reader, int n)
    {
        lock (_gate)
        {
            if (_closed)
            {
                reader.Skip(n);
                return null;
            }

            long now = ProxyClock.NowUs();
            int take = n;
            bool drop = false;
            bool limitReached = false;
            foreach (AppliedToxic toxic in _toxics)
            {
                if (!toxic.Applies)
                {
                    continue;
                }

                switch (toxic.Definition)
                {
                    case TimeoutToxic:
                        drop = true; // a black hole until it closes the connection, or is removed
                        break;
                    case ResetPeerToxic reset:
                        if (!toxic.Triggered)
                        {
                            toxic.Triggered = true;
                            toxic.DeadlineUs = now + ProxyClock.Micros(reset.Timeout);
                            UpdateDeadline();
                        }

                        drop = true;
                        break;
                    case LimitDataToxic limit:
                        long left = limit.Bytes - toxic.Transmitted;
                        if (left <= 0)
                        {
                            drop = true;
                            limitReached |= !toxic.Triggered;
                            toxic.Triggered = true;
                        }
                        else
                        {
                            take = (int)Math.Min(take, left);
                        }

                        break;
                }
            }

            if (drop)
            {
                reader.Skip(n);
                if (limitReached)
                {
                    QueueMarker(PendingKind.LimitReached, Math.Max(now, _lastReleaseUs), ProxyCloseCause.ToxicLimitData);
                }

                return null;
            }

            foreach (AppliedToxic toxic in _toxics)
            {
                if (toxic.Applies && toxic.Definition is LimitDataToxic limit)
                {
                    toxic.Transmitted += take;
                    if (toxic.Transmitted >= limit.Bytes && !toxic.Triggered)
                    {
                        toxic.Triggered = true;
                        limitReached = true;
                    }
                }
            }

            LinkBuffer chunk = reader.Slice(take);
            if (take < n)
            {
                reader.Skip(n - take);
            }

            Schedule(chunk, now);
            if (limitReached)
            {
                QueueMarker(PendingKind.LimitReached, _lastReleaseUs, ProxyCloseCause.ToxicLimitData);
            }

            if (_queuedBytes < _highWater)
            {
                return null;
            }

            _room ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return _room.Task;
        }
    }

    /// <summary>Queues <paramref name="chunk"/> with the time each part is due: latency, then bandwidth pacing, then slicing. Under the gate.</summary>
    private void Schedule(LinkBuffer chunk, long nowUs)
    {
        long release = nowUs;
        int pieceLimit = int.MaxValue;
        SlicerToxic? slicer = null;
        foreach (AppliedToxic toxic in _toxics)
        {
            if (!toxic.Applies)
            {
                continue;
            }

            switch (toxic.Definition)
            {
                case LatencyToxic latency:
                    release += LatencyDelay(latency);
                    break;
                case BandwidthToxic bandwidth:
                    pieceLimit = (int)Math.Min(pieceLimit, Math.Max(1, bandwidth.Rate * 100)); // 100 ms worth, as toxiproxy sends
                    break;
                case SlicerToxic s:
                    slicer ??= s;
                    break;
            }
        }

        release = Math.Max(release, _lastReleaseUs);
        while (chunk.Length > 0)
        {
            int size = Math.Min(chunk.Length, pieceLimit);
            bool last = size == chunk.Length;
            LinkBuffer piece = last ? chunk : chunk.Slice(size);
            foreach (AppliedToxic toxic in _toxics)
            {
                if (toxic.Applies && toxic.Definition is BandwidthToxic bandwidth)
                {
                    // Rate KB/s is Rate bytes per millisecond: a piece leaves when its time on the wire has passed.
                    toxic.ClockUs = Math.Max(toxic.ClockUs, release) + (size * 1000L / bandwidth.Rate);
                    release = toxic.ClockUs;
                }
            }

            release = slicer is null ? QueueData(piece, release, separate: false) : QueueSlices(piece, slicer, release);
            if (last)
            {
                break;
            }
        }

        _lastReleaseUs = release;
    }

    /// <summary>Queues <paramref name="piece"/> as separate writes of the slicer's sizes, its delay apart; returns when the next may go.</summary>
    private long QueueSlices(LinkBuffer piece, SlicerToxic slicer, long release)
    {
        long delay = ProxyClock.Micros(slicer.Delay);
        while (true)
        {
            int size = slicer.AverageSize + (slicer.SizeVariation > 0 ? Random.Shared.Next(-slicer.SizeVariation, slicer.SizeVariation + 1) : 0);
            size = Math.Clamp(size, 1, piece.Length);
            bool last = size == piece.Length;
            QueueData(last ? piece : piece.Slice(size), release, separate: true);
            release += delay;
            if (last)
            {
                return release;
            }
        }
    }

    private long QueueData(LinkBuffer data, long release, bool separate)
    {
        _queuedBytes += data.Length;
        _queue.Enqueue(new PendingChunk(PendingKind.Data, data, release, ++_sequence, separate));
        return release;
    }

    private void QueueMarker(PendingKind kind, long release, ProxyCloseCause cause)
    {
        _queue.Enqueue(new PendingChunk(kind, null, release, ++_sequence, SeparateWrite: false, cause));
        _lastReleaseUs = release;
    }

    private static long LatencyDelay(LatencyToxic latency)
    {
        long delay = ProxyClock.Micros(latency.Latency);
        long jitter = ProxyClock.Micros(latency.Jitter);
        if (jitter > 0)
        {
            delay += Random.Shared.NextInt64(-jitter, jitter + 1);
        }

        return Math.Max(0, delay);
    }

    /// <summary>The source ended: queue its end behind its data, after any slow_close delay.</summary>
    private void EndSource(PendingKind kind, ProxyCloseCause cause)
    {
        lock (_gate)
        {
            if (_ended || _closed)
            {
                return;
            }

            _ended = true;
            long delay = 0;
            foreach (AppliedToxic toxic in _toxics)
            {
                if (toxic.Applies && toxic.Definition is SlowCloseToxic slowClose)
                {
                    delay += ProxyClock.Micros(slowClose.Delay);
                }
            }

            QueueMarker(kind, Math.Max(ProxyClock.NowUs(), _lastReleaseUs) + delay, cause);
        }

        Kick();
    }

    private void UpdateDeadline()
    {
        long earliest = 0;
        foreach (AppliedToxic toxic in _toxics)
        {
            if (toxic.DeadlineUs != 0 && (earliest == 0 || toxic.DeadlineUs < earliest))
            {
                earliest = toxic.DeadlineUs;
            }
        }

        _deadlineUs = earliest;
    }

    /// <summary>Starts the drainer unless one runs (any thread).</summary>
    private void Kick()
    {
        lock (_gate)
        {
            if (_draining || _closed || _dest is null)
            {
                return;
            }

            _draining = true;
        }

        _ = DrainAsync();
    }

    /// <summary>Writes due entries in order, one flush at a time; fires deadlines; arms the timer for what is not due yet.</summary>
    private async Task DrainAsync()
    {
        Connection dest = _dest!;
        ConnectionWriter writer = dest.Writer;
        long unflushed = 0;
        try
        {
            while (true)
            {
                PendingChunk item = default;
                bool have = false;
                AppliedToxic? fired = null;
                TaskCompletionSource? room = null;
                lock (_gate)
                {
                    long now = ProxyClock.NowUs();
                    if (_closed)
                    {
                        _draining = false;
                        return;
                    }

                    if (_deadlineUs != 0 && now >= _deadlineUs)
                    {
                        fired = Array.Find(_toxics, a => a.DeadlineUs != 0 && a.DeadlineUs <= now);
                        _draining = false;
                    }
                    else if (_queue.TryPeek(out item) && (item.Sequence <= _releasedThrough || item.ReleaseUs <= now))
                    {
                        _queue.Dequeue();
                        have = true;
                    }
                    else if (unflushed == 0)
                    {
                        _draining = false;
                        ArmTimer(now);
                        room = TakeRoom();
                    }
                }

                if (fired is not null)
                {
                    bool reset = fired.Definition.Type == ToxicType.ResetPeer;
                    _link.End(reset ? ProxyCloseCause.ToxicResetPeer : ProxyCloseCause.ToxicTimeout, resetClient: reset, resetUpstream: reset);
                    return;
                }

                if (!have)
                {
                    if (unflushed == 0)
                    {
                        room?.TrySetResult();
                        return;
                    }

                    await writer.FlushAsync().ConfigureAwait(false);
                    Flushed(ref unflushed);
                    continue;
                }

                if (item.Kind == PendingKind.Data)
                {
                    LinkBuffer data = item.Data!;
                    unflushed += data.Length;
                    try
                    {
                        writer.Append(data);
                    }
                    finally
                    {
                        data.Dispose();
                    }

                    if (item.SeparateWrite)
                    {
                        await writer.FlushAsync().ConfigureAwait(false);
                        Flushed(ref unflushed);
                    }

                    continue;
                }

                // A marker: everything before it goes out first.
                if (unflushed > 0)
                {
                    await writer.FlushAsync().ConfigureAwait(false);
                    Flushed(ref unflushed);
                }

                lock (_gate)
                {
                    _draining = false;
                }

                switch (item.Kind)
                {
                    case PendingKind.End:
                        dest.ShutdownSend();
                        _link.OnPipeFinished(this);
                        break;
                    case PendingKind.Failure:
                        _link.OnSourceFailed(this, item.Cause);
                        break;
                    default:
                        _link.End(ProxyCloseCause.ToxicLimitData, resetClient: false, resetUpstream: false);
                        break;
                }

                return;
            }
        }
        catch (Exception ex) when (IsClosedConnection(ex))
        {
            lock (_gate)
            {
                _draining = false;
            }

            _link.OnDestinationFailed(this);
        }
    }

    /// <summary>A flush completed: those bytes no longer count against the queue; the reader may go on.</summary>
    private void Flushed(ref long unflushed)
    {
        TaskCompletionSource? room;
        lock (_gate)
        {
            _queuedBytes -= unflushed;
            room = TakeRoom();
        }

        unflushed = 0;
        room?.TrySetResult();
    }

    private TaskCompletionSource? TakeRoom()
    {
        if (_room is null || _queuedBytes > _lowWater)
        {
            return null;
        }

        TaskCompletionSource room = _room;
        _room = null;
        return room;
    }

    /// <summary>Arms the timer for the next due entry or deadline. Under the gate.</summary>
    private void ArmTimer(long nowUs)
    {
        long next = long.MaxValue;
        if (_queue.TryPeek(out PendingChunk head))
        {
            next = head.ReleaseUs;
        }

        if (_deadlineUs != 0)
        {
            next = Math.Min(next, _deadlineUs);
        }

        if (next == long.MaxValue)
        {
            return;
        }

        long dueMs = Math.Max(0, (next - nowUs + 999) / 1000);
        _timer ??= new Timer(static state => ((ProxyPipe)state!).Kick(), this, Timeout.Infinite, Timeout.Infinite);
        _timer.Change(dueMs, Timeout.Infinite);
    }
}
