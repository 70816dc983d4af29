using System.Buffers;
using System.Diagnostics;
using Netpoll.Connections;
using Netpoll.Tls;

namespace Netpoll.Load;

/// <summary>
/// One load connection: sends requests (up to the run's depth in flight), reads their replies with the
/// pattern's reader, and records each completed request. Driven by the client poller (inline dispatch): a
/// reply that completes sends the next request from the same thread, with no hop. In a fixed-rate test the
/// pacer thread also sends on a connection that waited for a due request, so the connection's state is
/// guarded by <see cref="_gate"/>. When the connection closes, the requests still in flight fail (so the
/// run's request budget always resolves), and a new connection opens in its place however it ended (as wrk
/// does, so a flaky server is loaded at the configured concurrency for the whole run): at once after one that
/// completed a response (as soon as a response announcing the close is read), after its slot's
/// <see cref="ReconnectBackoff"/> otherwise. Idle connections are not
/// replaced (an Idle test shows what the server holds). A Handshake-pattern connection carries one request,
/// taken before it connected, and closes once it is answered; its slot in <see cref="LoadConnector"/> opens the next.
/// </summary>
internal sealed class LoadConnection : ConnectionHandler
{
    private readonly LoadRun _run;
    private readonly LoadConnector _connector;
    private readonly ReconnectBackoff _backoff;
    private readonly int _number;
    private readonly Lock _gate = new();
    private readonly long _connectStarted;
    private readonly bool _raced;        // one of several attempts racing a name's addresses: only the winner is opened, by its caller
    private readonly bool _reopen;       // in place of a connection that closed or a connect that failed: counted reopened when opened
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly RequestsToRetry? _retry; // what the connection this one replaces lost to its close: taken when this one opens

    // The requests in flight, oldest first, in a ring of Depth slots. Guarded by _gate.
    private readonly InFlightRequest[] _ring;
    private int _head;
    private int _inFlight;

    private HttpResponseParser _http;    // _gate
    private EchoReplyReader _echo;       // _gate
    private FramedReplyReader _framed;   // _gate
    private byte[]? _scratch;            // _gate: where a header section split over buffers is joined
    private Connection? _connection;     // set once, when the connect returns
    private bool _opened;                // _gate: Opened ran (this connect won its race): only then does it send or read
    private bool _connectRan;            // _gate: OnConnectAsync ran before Opened, so Opened sends the first requests
    private bool _waiting;               // _gate: registered with the pacer for the next due request
    private bool _done;                  // _gate: no more requests: closing, closed, or a reply broke the protocol
    private bool _handshakeSent;         // _gate: the Handshake pattern's one request is written
    private int _completed;              // _gate: responses completed on this connection (whether its slot's back-off resets: see Served)
    private bool _sendFoundClosed;       // _gate: a request could not be written, the connection being closed under it
    private bool _replaced;              // _gate: its replacement was started when the server announced the close, not by the close
    private bool _settled;               // _gate: its requests are counted for good (closed, or in flight at the run's stop); nothing counts after
    private Ending _ending;              // _gate: why this side closed it
    private long _oldestSentAt;          // the oldest request in flight's send time, 0 when none: read by the watchdog
    private long _connectedAt;           // when the TCP connect completed (OnPrepare, on the poller): Open times the connect to it
    private InFlightRequest[]? _retries; // _gate: taken from _retry when opened; sent before any new request
    private int _retriesSent;            // _gate: how many of _retries are written (or, at the run's stop, counted in flight)
    private bool _oldestGotInterim;      // _gate: an interim (1xx) response came for the oldest request: some of its response arrived
    private bool _greetingPending;       // _gate: the server's greeting (LoadOptions.ReadGreeting) is not read whole yet: nothing is sent before it
    private long _greetingBytesUnopened; // _gate: greeting bytes read before this connect won its race, counted when it opens

    /// <param name="backoff">The slot's wait before its next connect, which this connection's close updates.</param>
    /// <param name="raced">One attempt of a race over a name's addresses (see <see cref="LoadConnector"/>): its caller opens it if it won. Otherwise it opens itself when it connects.</param>
    /// <param name="reopen">In place of a connection that closed or a connect that failed: counted in <see cref="LoadRun.Reopened"/> when it opens.</param>
    /// <param name="connectStarted">When the connect began (a Stopwatch timestamp): the connect time runs from it, and the Handshake pattern's one request, already taken from the budget, was due then.</param>
    /// <param name="retry">Requests the connection this one replaces lost to its close, sent first once this one opens; null when none.</param>
    public LoadConnection(LoadRun run, LoadConnector connector, int number, ReconnectBackoff backoff, bool raced, bool reopen, long connectStarted, RequestsToRetry? retry = null)
    {
        _retry = retry;
        _raced = raced;
        _reopen = reopen;
        _run = run;
        _connector = connector;
        _backoff = backoff;
        _number = number;
        _connectStarted = connectStarted;
        _ring = new InFlightRequest[run.Depth];
        _greetingPending = run.Options.ReadGreeting;
    }

    /// <summary>Why this side closed the connection, which decides what its close counts as.</summary>
    private enum Ending : byte
    {
        None,
        BadResponse,
        ResponseTimeout,
        Announced,
        Answered,
    }

    /// <summary>Completes once the connection closed and its requests were resolved.</summary>
    public Task Closed => _closed.Task;

    /// <summary>The connection number (which source address it uses).</summary>
    public int Number => _number;

    private LoadPattern Pattern => _run.Options.Pattern;

    /// <summary>
    /// The connect returned this connection: a race's winner is opened now (see <see cref="Open"/>). A connection that did
    /// not race opened itself when it connected (OnConnectAsync, on the poller, before its connect returned), so its first
    /// requests do not wait for the thread-pool hop that resumes the connect's caller: a reopen under a fixed rate is quick
    /// however busy the pool is (with 8 pool work items blocked, a run against a server closing every 3rd response sent
    /// 465 of 2,001 requests). A connect that lost its race is never opened: it sends nothing, reads nothing and is closed
    /// uncounted, though its OnConnectAsync may have run on the poller first.
    /// </summary>
    public void Opened(Connection connection)
    {
        if (_raced)
        {
            Open(connection);
        }
    }

    /// <summary>
    /// Counts the connection open (with its connect time), watches for its close, and lets it send. Once, before the connect
    /// returns to its caller, so a ramp that has finished has counted every connection it opened; a connection that closed
    /// meanwhile runs its close callback at once.
    /// </summary>
    private void Open(Connection connection)
    {
        _connection = connection;

        // To the TCP connect's completion, seen on the poller: not to where the connect's caller resumes (on the thread pool,
        // which a busy pool delays by its backlog), nor to the TLS handshake's end (a TLS connection opens after it).
        _run.ConnectTime.Record((long)Stopwatch.GetElapsedTime(_connectStarted, _connectedAt).TotalNanoseconds);
        if (_reopen)
        {
            // Here, not where the connect's caller resumes: that waits for the thread pool, and a run that ends while the
            // pool is busy would report reopens that had long been serving as never made.
            Interlocked.Increment(ref _run.Reopened);
        }

        _run.ConnectionOpened(this);
        connection.AddCloseCallback(OnClosed);
        int sent = 0;
        lock (_gate)
        {
            _opened = true;

            // Taken here, under the gate, so the run's stop (SettleAtStop) counts them with this connection's; a connection it
            // settled already leaves them to the reconnect that carried them, which counts them in flight at the stop.
            _retries = _settled ? null : _retry?.Take();
            if (_greetingBytesUnopened != 0)
            {
                // Only a greeting read before the race was decided: an add on the run's shared counter per open (every
                // request's, for -Pattern Handshake) otherwise.
                Interlocked.Add(ref _run.BytesReceived, _greetingBytesUnopened);
            }

            if (_greetingPending)
            {
                Volatile.Write(ref _oldestSentAt, Stopwatch.GetTimestamp()); // the greeting's wait, bounded as a reply's is
            }

            if (_connectRan && !_done) // never set for Idle: its OnConnectAsync sends nothing
            {
                sent = SendLocked(connection); // nothing while the greeting is pending (a race's winner may have read it already)
            }
        }

        if (sent > 0)
        {
            FlushWithoutWaiting(connection);
        }
    }

    /// <summary>The TCP connect completed (poller thread, before any TLS handshake): the connect time ends here. Every attempt of a race gets it; only the winner's is recorded, when it opens.</summary>
    public override void OnPrepare(Connection connection) => _connectedAt = Stopwatch.GetTimestamp();

    public override ValueTask OnConnectAsync(Connection connection)
    {
        if (!_raced)
        {
            Open(connection); // the engine resolves the connect only after this call, on this thread: it is opened once
        }

        if (Pattern == LoadPattern.Idle)
        {
            return default;
        }

        int sent = 0;
        lock (_gate)
        {
            _connectRan = true;
            if (_opened)
            {
                sent = SendLocked(connection);
            }
        }

        if (sent > 0)
        {
            FlushWithoutWaiting(connection);
        }

        return default;
    }

    public override ValueTask OnRequestAsync(Connection connection)
    {
        int sent = 0;
        lock (_gate)
        {
            if (_greetingPending)
            {
                // Read before the race is decided, too: the engine calls again only when more bytes arrive, and a greeting
                // that came whole before this connect opened would otherwise wait for bytes the server never sends.
                ReadGreetingLocked(connection.Reader);
            }

            if (!_opened)
            {
                return default; // a race's loser (being closed), or bytes before any request was sent (read with what comes after)
            }

            ReadLocked(connection);
            if (!_done)
            {
                sent = SendLocked(connection);
            }
        }

        if (sent > 0)
        {
            FlushWithoutWaiting(connection);
        }

        return default;
    }

    /// <summary>The pacer hands this waiting connection the due requests it has room for. Pacer thread.</summary>
    public void SendDue()
    {
        Connection? connection = _connection;
        int sent;
        lock (_gate)
        {
            _waiting = false;
            if (connection is null || _done)
            {
                return;
            }

            sent = SendLocked(connection);
        }

        if (sent > 0)
        {
            FlushWithoutWaiting(connection);
        }
    }

    /// <summary>Closes the connection when its oldest request has waited longer than <paramref name="timeoutTicks"/> for its whole reply. Watchdog thread.</summary>
    public void CheckResponseTimeout(long now, long timeoutTicks)
    {
        long oldest = Volatile.Read(ref _oldestSentAt);
        if (oldest == 0 || now - oldest <= timeoutTicks || _connection is not { } connection)
        {
            return;
        }

        lock (_gate)
        {
            if (_done || (_inFlight == 0 && !_greetingPending))
            {
                return;
            }

            if (_greetingPending)
            {
                _run.Error(LoadErrorKind.ResponseTimeout); // the greeting never came whole: the connection's one error (no request was sent)
            }

            EndLocked(Ending.ResponseTimeout, LoadErrorKind.ResponseTimeout);
        }

        connection.Close();
    }

    /// <summary>
    /// The run stopped: what this connection has in flight (with the Handshake pattern's request, taken before its
    /// connect, when it is not sent yet) is counted as in flight at the stop, and nothing after this counts. A close that
    /// is settling holds the gate until it has counted its end; after it, this finds the connection settled. Any thread.
    /// </summary>
    public void SettleAtStop()
    {
        lock (_gate)
        {
            if (_settled)
            {
                return;
            }

            _settled = true;
            _done = true;
            _run.InFlightAtStop(_inFlight + UnsentHandshakeLocked() + UnsentRetriesLocked());
            _retriesSent = _retries?.Length ?? 0;
            _inFlight = 0;
            Volatile.Write(ref _oldestSentAt, 0);
        }
    }

    /// <summary>The Handshake pattern's request, taken from the budget before the connect, while it is not yet written: 1, else 0.</summary>
    private int UnsentHandshakeLocked() => Pattern == LoadPattern.Handshake && !_handshakeSent ? 1 : 0;

    /// <summary>Requests to retry this connection took and has not written yet.</summary>
    private int UnsentRetriesLocked() => _retries is null ? 0 : _retries.Length - _retriesSent;

    /// <summary>Sends as many requests as the depth allows and the budget or schedule gives. Returns how many were written (flush after).</summary>
    private int SendLocked(Connection connection)
    {
        int sent = 0;
        long bytes = 0;
        while (_inFlight < _run.Depth && !_done && !_greetingPending)
        {
            long now = Stopwatch.GetTimestamp();
            long intended = now;
            int request = 0;
            int sends = 1;
            bool retried = false;
            if (UnsentRetriesLocked() > 0)
            {
                if (_run.Stopping)
                {
                    break; // in flight at the stop (SettleAtStop counts what is unsent)
                }

                // Already taken from the budget or the schedule: sent at once, its latency from its first attempt's due time.
                InFlightRequest again = _retries![_retriesSent];
                (request, intended, sends) = (again.Request, again.IntendedAt, again.Sends + 1);
                retried = true;
            }
            else if (Pattern == LoadPattern.Handshake)
            {
                if (_handshakeSent || _run.Stopping)
                {
                    break; // one request per connection; a connect that completed as the run stopped keeps its request, in flight at the stop
                }

                // Taken from the budget before the connect: its latency runs from then, so it holds the connect and handshake.
                _handshakeSent = true;
                intended = _connectStarted;
            }
            else if (_run.Pacer is { } pacer)
            {
                if (!pacer.TryTakeDue(now, out intended))
                {
                    if (!_waiting && !_run.Stopping)
                    {
                        _waiting = true;
                        pacer.Wait(this);
                    }

                    break;
                }
            }
            else if (!_run.TryStartRequest())
            {
                break;
            }

            if (!retried)
            {
                request = _run.Http?.Next() ?? 0;
            }

            ReadOnlySpan<byte> payload = Pattern switch
            {
                LoadPattern.Http or LoadPattern.Handshake => _run.Http!.Bytes(request),
                LoadPattern.Payload => _run.Options.Payload.Span,
                _ => _run.Message,
            };
            try
            {
                connection.Writer.WriteBinary(payload);
            }
            catch (ConnectionClosedException)
            {
                // Closed under us (the poller saw a reset): the close callback settles what was in flight, and a retry not written.
                if (!retried)
                {
                    if (_run.Pacer is null)
                    {
                        _run.ReturnRequest();
                    }
                    else
                    {
                        _run.AbandonRequest();
                    }
                }

                _done = true;
                _sendFoundClosed = true;
                break;
            }

            _ring[(_head + _inFlight) % _ring.Length] = new InFlightRequest(request, intended, now, sends);
            if (retried)
            {
                _retriesSent++;
            }

            if (_inFlight++ == 0)
            {
                Volatile.Write(ref _oldestSentAt, now);
            }

            sent++;
            bytes += payload.Length;
        }

        if (sent > 0)
        {
            Interlocked.Add(ref _run.BytesSent, bytes);
        }

        return sent;
    }

    /// <summary>Reads every complete reply buffered; a reply that breaks the protocol ends the connection.</summary>
    private void ReadLocked(Connection connection)
    {
        ConnectionReader reader = connection.Reader;
        if (Pattern == LoadPattern.Idle)
        {
            // An Idle connection asks nothing, so what comes is the server's own (sshd's and MySQL's greetings, an SMTP 220,
            // a protocol's pings): received and held, not a bad reply to close on (every connection to sshd was closed so).
            Interlocked.Add(ref _run.BytesReceived, reader.Length);
            reader.Skip(reader.Length);
            return;
        }

        long received = 0;
        while (reader.Length > 0 && !_done && !_greetingPending)
        {
            if (_inFlight == 0)
            {
                BadResponse(connection, $"{reader.Length} bytes arrived with no request in flight: '{ByteText.Quote(reader.Peek(Math.Min(reader.Length, 32)).Span)}'{UnsolicitedHint()}");
                break;
            }

            ReadOnlySequence<byte> input = reader.GetReadableSequence();
            string? error = null;
            ReplyStatus status;
            long consumed;
            switch (Pattern)
            {
                case LoadPattern.Http or LoadPattern.Handshake:
                    status = _http.Feed(input, _run.Http!.IsHead(_ring[_head].Request), ref _scratch, out consumed);
                    error = _http.Error;
                    break;
                case LoadPattern.Payload:
                    status = _framed.Feed(input, _run.Options.ResponseSize, _run.Options.ResponseDelimiter.Span, out consumed);
                    break;
                default:
                    status = _echo.Feed(input, _run.Message, out consumed);
                    error = _echo.Error;
                    break;
            }

            if (consumed > 0)
            {
                reader.Skip((int)consumed);
                received += consumed;
            }

            if (status == ReplyStatus.NeedMore)
            {
                break;
            }

            if (status == ReplyStatus.Error)
            {
                BadResponse(connection, error ?? "the reply breaks the protocol");
                break;
            }

            if (status == ReplyStatus.Interim)
            {
                _run.CountStatus(_http.StatusCode);
                _oldestGotInterim = true;
                continue;
            }

            // The reply's bytes count before the reply does: the last reply of a request budget ends the run, and
            // the result must not show that request without its bytes (a 1000-request run read 6,972 of 7,000 B).
            Interlocked.Add(ref _run.BytesReceived, received);
            received = 0;
            CompleteOldest(_run.Http is not null ? _http.StatusCode : 0);
            if (Pattern == LoadPattern.Handshake)
            {
                // Its one request is answered: the slot opens the next connection.
                EndLocked(Ending.Answered, null);
                connection.Close();
                break;
            }

            if (Pattern == LoadPattern.Http && _http.CloseAfter)
            {
                // The server said it closes after this response: close now, and open another in its place, which sends again
                // what was pipelined behind it and may be (the rest fails as closed early).
                RequestsToRetry? retry = TakeRetriableLocked(oldestHasBytes: false);
                EndLocked(Ending.Announced, LoadErrorKind.ClosedEarly);
                connection.Close();
                ReplaceLocked(retry);
                break;
            }
        }

        if (received > 0)
        {
            Interlocked.Add(ref _run.BytesReceived, received);
        }
    }

    /// <summary>
    /// Reads what has come of the server's greeting (<see cref="LoadOptions.ReadGreeting"/>), framed as the replies are;
    /// once it is whole, requests may go. Its bytes count as received (those before the connect opened, when it opens).
    /// </summary>
    private void ReadGreetingLocked(ConnectionReader reader)
    {
        if (reader.Length == 0 || _done)
        {
            return;
        }

        ReplyStatus status = _framed.Feed(reader.GetReadableSequence(), _run.Options.ResponseSize, _run.Options.ResponseDelimiter.Span, out long consumed);
        reader.Skip((int)consumed);
        if (_opened)
        {
            Interlocked.Add(ref _run.BytesReceived, consumed);
        }
        else
        {
            _greetingBytesUnopened += consumed;
        }

        if (status == ReplyStatus.Complete)
        {
            _greetingPending = false;
            Volatile.Write(ref _oldestSentAt, 0); // no longer waiting: the first request's send starts the reply clock
        }
    }

    /// <summary>What may have sent bytes no request asked for, for the BadResponse detail.</summary>
    private string UnsolicitedHint() => Pattern == LoadPattern.Payload && !_run.Options.ReadGreeting
        ? " (a server that speaks first — a greeting or banner, which ReadGreeting (-Greeting) reads — or answers twice shifts every reply after it by one)"
        : "";

    /// <summary>
    /// The server ended the connection without announcing it (a keep-alive timeout's close, a reset). The engine tells an
    /// inline handler on the poller, before the close callbacks' thread-pool hop, so what was in flight is settled here
    /// (closed early, or reset) and the slot's next connection starts here, as after an announced close: a busy pool
    /// delays neither the schedule nor the count (a watchdog would otherwise take those requests for response timeouts).
    /// The close callback then only counts the connection closed. A connect that lost its race was never opened: not its.
    /// </summary>
    public override void OnDisconnect(Connection connection) => SettleRequests(connection);

    /// <summary>
    /// The server announced the close with a response read whole: the slot's next connection starts now, not after the
    /// close path's turn and the thread-pool hop that runs close callbacks. A fixed rate holds only while a slot reopens
    /// quicker than it serves the requests between closes (nginx's keepalive_requests 3 at 1000/s over 8 connections leaves
    /// 24 ms), so that hop is kept off the reopen. Under the gate, so the close (which takes it to settle) finds the
    /// replacement counted as connecting, and neither replaces it again nor touches the slot's back-off.
    /// </summary>
    private void ReplaceLocked(RequestsToRetry? retry)
    {
        _replaced = true;
        _backoff.Answered();
        _connector.Reopen(_number, _backoff, retry);
    }

    /// <summary>
    /// The connection is ending with requests in flight: takes out of them those to send again on the slot's next connection
    /// (RFC 9112 §9.3.1), counted in <see cref="LoadRun.Retried"/> the first time. Only when the connection was reused (it
    /// completed a response: a server may close an idle keep-alive connection as a request arrives, and every request
    /// after the last one answered met that close), for an idempotent HTTP method, with none of its response read. A
    /// connection that answered nothing lost its requests to the server's refusal, not a race: they fail (a retry by what
    /// ended its new connection), and the slot backs off. As Go's net/http, a request is retried whenever the connection
    /// that lost it was reused, so a pipeline deeper than the server's keep-alive request limit (nginx keepalive_requests 3,
    /// Pipeline 4: the 4th of 4 retries meets the close again) loses nothing; retries go first on the next connection, so
    /// each one that is lost again moves up the line, and one is sent at most Depth + 1 times (Sends). Null when none is retried.
    /// </summary>
    /// <param name="oldestHasBytes">Part of the oldest request's response was read: it is not retried.</param>
    private RequestsToRetry? TakeRetriableLocked(bool oldestHasBytes)
    {
        if (!_run.Options.RetryIdempotent || Pattern != LoadPattern.Http || _completed == 0 || _inFlight == 0 || _run.Stopping)
        {
            return null;
        }

        var retries = new List<InFlightRequest>(_inFlight);
        int kept = 0;
        for (int i = 0; i < _inFlight; i++)
        {
            InFlightRequest request = _ring[(_head + i) % _ring.Length];
            if ((i == 0 && oldestHasBytes) || request.Sends > _run.Depth || !_run.Http!.IsIdempotent(request.Request))
            {
                _ring[(_head + kept++) % _ring.Length] = request; // kept in flight, oldest first, for the caller to fail
            }
            else
            {
                retries.Add(request);
            }
        }

        if (retries.Count == 0)
        {
            return null;
        }

        _inFlight = kept;
        Volatile.Write(ref _oldestSentAt, kept > 0 ? _ring[_head].SentAt : 0);
        Interlocked.Add(ref _run.Retried, retries.Count(r => r.Sends == 1)); // each request counted once, however often it is sent
        return new RequestsToRetry([.. retries]);
    }

    private void CompleteOldest(int statusCode)
    {
        ref readonly InFlightRequest oldest = ref _ring[_head];
        _run.Complete(oldest.IntendedAt, oldest.SentAt, Stopwatch.GetTimestamp(), statusCode);
        _completed++;
        _oldestGotInterim = false;
        _head = _head + 1 == _ring.Length ? 0 : _head + 1;
        _inFlight--;
        Volatile.Write(ref _oldestSentAt, _inFlight > 0 ? _ring[_head].SentAt : 0);
    }

    private void BadResponse(Connection connection, string detail)
    {
        // The reply cannot be parsed, so neither can anything after it: the connection is done.
        _run.Error(LoadErrorKind.BadResponse, detail);
        EndLocked(Ending.BadResponse, null);
        connection.Close();
    }

    /// <summary>
    /// This side ends the connection (the caller closes it next): the requests still in flight fail now, each counted as
    /// <paramref name="errorPerRequest"/> when one is given, so the run's stop, should it come before the close has
    /// settled, finds them resolved as what they were when this side gave up on them.
    /// </summary>
    private void EndLocked(Ending ending, LoadErrorKind? errorPerRequest)
    {
        _done = true;
        _ending = ending;
        if (errorPerRequest is { } kind)
        {
            _run.Error(kind, _inFlight);
        }

        _run.Fail(_inFlight);
        _inFlight = 0;
        Volatile.Write(ref _oldestSentAt, 0);
    }

    /// <summary>
    /// Flushes what was written without holding up the handler call: the engine hands a connection's input to one
    /// call at a time, so a call waiting for a large request to drain would leave a reply that came early (a 413
    /// before the body was read) unread — and a server that then closes with the body unread resets the connection,
    /// which discarded that reply. The depth bounds what the output holds (at most Depth requests).
    /// </summary>
    private static void FlushWithoutWaiting(Connection connection)
    {
        ValueTask flush = Flush(connection);
        if (!flush.IsCompletedSuccessfully)
        {
            _ = ObserveAsync(flush);
        }
    }

    private static ValueTask Flush(Connection connection)
    {
        try
        {
            return connection.Writer.FlushAsync();
        }
        catch (ConnectionClosedException)
        {
            return default; // closed under us: the close callback settles what was in flight
        }
    }

    private static async Task ObserveAsync(ValueTask flush)
    {
        try
        {
            await flush.ConfigureAwait(false);
        }
        catch (IOException)
        {
            // The connection broke while its requests drained: its close callback counts why.
        }
    }

    private void OnClosed(Connection connection)
    {
        try
        {
            Settle(connection);
        }
        finally
        {
            _closed.TrySetResult();
        }
    }

    private void Settle(Connection connection)
    {
        try
        {
            SettleRequests(connection);
        }
        finally
        {
            // Counted closed only after a reopen counted its connect: the run never sees, in between, no connection open or
            // opening and stops as NoConnections (a server that closes after every response did that to one-connection runs).
            _run.ConnectionClosed(this);
        }
    }

    private void SettleRequests(Connection connection)
    {
        bool served;
        bool replaced;
        RequestsToRetry? retry;
        lock (_gate)
        {
            if (_settled || !_opened)
            {
                // Settled already: by OnDisconnect on the poller, or the run stopped first (what was in flight is counted as
                // in flight at the stop, and this close is not the run's). Never opened: a connect that lost its race.
                return;
            }

            _settled = true;
            _done = true;
            bool completedAtClose = false;
            if (_run.Http is not null && _inFlight > 0 && _http.CompleteAtClose())
            {
                CompleteOldest(_http.StatusCode); // a body that runs until the server closes ends here
                completedAtClose = true;
            }

            // A close this side did not choose (this side's endings failed what was in flight already): what a reused
            // keep-alive connection lost before any of its response came is sent again on the next connection.
            retry = TakeRetriableLocked(oldestHasBytes: _http.MidResponse || _oldestGotInterim);

            // Counted under the gate, so the run's stop (SettleAtStop) waits for it: a result never misses a close that was settling.
            int lost = _inFlight + UnsentHandshakeLocked() + UnsentRetriesLocked();
            bool cutShort = lost > 0 || _http.MidResponse || _echo.MidResponse || _framed.MidResponse || _greetingPending;
            CountEndLocked(connection, cutShort, completedAtClose);
            _run.Fail(lost);
            _inFlight = 0;
            Volatile.Write(ref _oldestSentAt, 0);
            served = Served(endedInError: lost > 0 || cutShort || _sendFoundClosed || _ending is Ending.BadResponse or Ending.ResponseTimeout);
            replaced = _replaced;
            if (retry is not null)
            {
                // The requests to retry are counted (in flight at the stop) or carried by the reopen before the run's stop can
                // settle this connection, which waits for the gate: outside it, a stop in between lost them from the result.
                ReopenSlot(served, retry);
                return;
            }
        }

        if (replaced)
        {
            return; // its replacement started when the server announced the close (ReplaceLocked); nothing was left to retry
        }

        ReopenSlot(served, retry: null);
    }

    /// <summary>
    /// Opens the slot's next connection, carrying <paramref name="retry"/>. One that served nothing (refused its requests,
    /// reset, answered garbage or nothing) is replaced only after the slot's back-off, so a hostile server gets a bounded
    /// connect rate; one that was serving goes at once.
    /// </summary>
    private void ReopenSlot(bool served, RequestsToRetry? retry)
    {
        if (served)
        {
            _backoff.Answered();
        }
        else
        {
            _backoff.Failed();
        }

        if (Pattern is not (LoadPattern.Handshake or LoadPattern.Idle))
        {
            _connector.Reopen(_number, _backoff, retry); // the Handshake slot opens its own next; Idle holds what the server keeps
        }
    }

    /// <summary>
    /// Whether the connection served its slot, so the next connect goes at once: it completed a response and did not end
    /// in an error (a request lost to a reset or an early close, a bad response, a response timeout), or completed more
    /// than one. One reply and then an error is how servers refuse a connection they accepted (redis-server past
    /// maxclients writes "-ERR max number of clients reached" at accept and closes; memcached's "SERVER_ERROR"; an HTTP
    /// 503 and a close it did not announce) and how a server that sends bytes after every response breaks: that
    /// connection gets the back-off like one that answered nothing, or the slot reconnects in a tight loop (6,629
    /// connects in 2 s against redis with maxclients 5).
    /// </summary>
    private bool Served(bool endedInError) => _completed > 1 || (_completed == 1 && !endedInError);

    /// <summary>Counts why the connection ended when the server (or the network) ended it: this side counted its own endings (<see cref="EndLocked"/>).</summary>
    private void CountEndLocked(Connection connection, bool cutShort, bool completedAtClose)
    {
        if (_ending != Ending.None)
        {
            return;
        }

        if (connection.CloseReason == CloseReason.Error && connection.GetTlsFailure() is { } tls)
        {
            // The server broke the TLS session off, not TCP: before any response, its refusal of the session (over TLS 1.3
            // a server requiring a client certificate says so after the client finished its handshake, as TLS 1.2's
            // handshake failure does during it); after responses, a TLS error the run names.
            if (_completed == 0)
            {
                _run.Error(LoadErrorKind.TlsHandshake, tls);
            }
            else
            {
                _run.Error(LoadErrorKind.Other, $"TLS: {tls}");
            }
        }
        else if (connection.CloseReason == CloseReason.Error)
        {
            _run.Error(LoadErrorKind.Reset); // once per connection, whether its requests were lost or retried
        }
        else if (!completedAtClose && (cutShort || Pattern == LoadPattern.Idle))
        {
            _run.Error(LoadErrorKind.ClosedEarly); // not an end the protocol allows (a reply that runs to the close, or nothing in flight)
        }
    }
}
