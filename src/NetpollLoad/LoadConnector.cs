using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.ExceptionServices;
using System.Security.Authentication;
using Netpoll.Client;
using Netpoll.Connections;

namespace Netpoll.Load;

/// <summary>
/// Opens a run's connections through its <see cref="Dialer"/>: the ramp (at the connect rate, at most
/// <see cref="ConnectsInFlight"/> connects at a time, spread over the source addresses), and a new
/// connection in place of one that closed, however it closed; for the Handshake pattern, a new connection per
/// request in each slot. Connect failures are counted by cause. Each slot (connection number) keeps a
/// <see cref="ReconnectBackoff"/>, so replacing connections that fail cannot become a tight loop.
/// </summary>
/// <remarks>
/// When a connect fails, its slot tries again after its back-off, unless (see <see cref="MayRetry"/>) no
/// response has completed in the run yet (the target is down, refuses the handshake, or is the wrong address:
/// the slot gives up at once, so such a run ends quickly as NoConnections), or the run has no time limit and the
/// slot's connects kept failing after its longest wait (the server went away for good: nothing else would end a
/// run bounded by a request count only). A run bounded by time keeps trying until its end, as wrk does.
/// </remarks>
internal sealed class LoadConnector(Dialer dialer, LoadRun run, CancellationToken stop)
{
    private const int ConnectsInFlight = 256;

    /// <summary>RFC 8305's recommended Connection Attempt Delay: how long a connect waits for one address before racing the next (Go's dialer, which k6 uses, waits 300 ms).</summary>
    internal static readonly TimeSpan ConnectionAttemptDelay = TimeSpan.FromMilliseconds(250);

    private readonly TargetAddresses _addresses = new(run.Options);

    /// <summary>The address the run connects to: the first that accepted a connect (the target's first address until one has).</summary>
    public EndPoint Target => _addresses.Current;

    /// <summary>Each address a connect failed at, with its first failure (see <see cref="TargetAddresses.Failures"/>).</summary>
    public IReadOnlyList<string> AddressFailures => _addresses.Failures();

    /// <summary>Opens <see cref="LoadOptions.Connections"/> connections; completes when every connect has finished.</summary>
    public async Task RampAsync()
    {
        LoadOptions options = run.Options;
        using var inFlight = new SemaphoreSlim(ConnectsInFlight);
        var starts = new List<Task>(options.Connections);
        long rampStart = Stopwatch.GetTimestamp();
        try
        {
            for (int i = 0; i < options.Connections && !stop.IsCancellationRequested; i++)
            {
                if (options.ConnectRate > 0)
                {
                    TimeSpan due = TimeSpan.FromSeconds((double)i / options.ConnectRate) - Stopwatch.GetElapsedTime(rampStart);
                    if (due > TimeSpan.Zero)
                    {
                        await Task.Delay(due, stop).ConfigureAwait(false);
                    }
                }

                await inFlight.WaitAsync(stop).ConfigureAwait(false);
                starts.Add(options.Pattern == LoadPattern.Handshake ? ConnectionPerRequestAsync(i, inFlight) : OpenSlotAsync(i, inFlight));
            }
        }
        finally
        {
            await Task.WhenAll(starts).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Opens a connection in place of connection <paramref name="number"/>, which closed, after the slot's back-off
    /// wait. Counted as connecting from this call, through the wait, so the run is not taken to have no connections. Any thread.
    /// </summary>
    /// <param name="retry">Requests the closed connection lost that the new one sends first; null when none.</param>
    public void Reopen(int number, ReconnectBackoff backoff, RequestsToRetry? retry = null)
    {
        if (run.Stopping || stop.IsCancellationRequested)
        {
            ResolveUnsent(retry);
            return;
        }

        run.ConnectStarted();
        _ = ReconnectAsync(number, backoff, retry);
    }

    /// <summary>
    /// Requests to retry that no connection took: in flight when the run stopped, or, when the slot's reconnects gave up,
    /// failed as the close that lost them (a close before any response arrived).
    /// </summary>
    private void ResolveUnsent(RequestsToRetry? retry)
    {
        if (retry?.Take() is not { } requests)
        {
            return;
        }

        if (run.Stopping || stop.IsCancellationRequested)
        {
            run.InFlightAtStop(requests.Length);
        }
        else
        {
            run.Error(LoadErrorKind.ClosedEarly, requests.Length);
            run.Fail(requests.Length);
        }
    }

    /// <summary>The ramp's connect for one slot; a slot whose connect failed may try again (see <see cref="MayRetry"/>).</summary>
    private async Task OpenSlotAsync(int number, SemaphoreSlim inFlight)
    {
        var backoff = new ReconnectBackoff();
        if (await ConnectAsync(number, inFlight, backoff, reopen: false).ConfigureAwait(false) is null && MayRetry(backoff))
        {
            Reopen(number, backoff);
        }
    }

    /// <summary>Waits out the slot's back-off and connects, again after each failure that may be retried. Ends the connecting count <see cref="Reopen"/> started.</summary>
    private async Task ReconnectAsync(int number, ReconnectBackoff backoff, RequestsToRetry? retry)
    {
        try
        {
            do
            {
                if (backoff.Wait > TimeSpan.Zero)
                {
                    await Task.Delay(backoff.Wait, stop).ConfigureAwait(false);
                }
            }
            while (await ConnectAsync(number, null, backoff, reopen: true, retry: retry).ConfigureAwait(false) is null && MayRetry(backoff));
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
        finally
        {
            ResolveUnsent(retry); // before the connecting count ends, so the run's stop finds them counted
            run.ConnectEnded();
        }
    }

    /// <summary>A connect of this slot failed (and was counted): whether the slot tries again, after its now longer wait. See the class remarks.</summary>
    private bool MayRetry(ReconnectBackoff backoff)
    {
        backoff.Failed();
        if (run.Stopping || stop.IsCancellationRequested || run.Completed == 0)
        {
            return false;
        }

        bool timeLimited = run.Options.Duration is not null || run.Options.Stages.Count > 0;
        return timeLimited || !backoff.FailedAtLongest;
    }

    /// <summary>
    /// The Handshake pattern's slot: a new connection per request, each taken from the budget before it connects, so
    /// the connect and handshake are part of that request. The ramp took the first connect permit; later connects take their own.
    /// </summary>
    private async Task ConnectionPerRequestAsync(int number, SemaphoreSlim inFlight)
    {
        bool permit = true;
        var backoff = new ReconnectBackoff();
        try
        {
            while (!stop.IsCancellationRequested && run.TryStartRequest())
            {
                if (!permit)
                {
                    await inFlight.WaitAsync(stop).ConfigureAwait(false);
                    permit = true;
                }

                LoadConnection? connection = await ConnectAsync(number, null, backoff, reopen: false, requestTaken: true).ConfigureAwait(false);
                inFlight.Release();
                permit = false;
                if (connection is not null)
                {
                    await connection.Closed.WaitAsync(stop).ConfigureAwait(false); // its close updated the back-off
                }
                else if (!MayRetry(backoff))
                {
                    break;
                }

                if (backoff.Wait > TimeSpan.Zero)
                {
                    await Task.Delay(backoff.Wait, stop).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
        finally
        {
            if (permit)
            {
                inFlight.Release();
            }
        }
    }

    /// <summary>
    /// Connects one load connection, or counts why it could not (and fails the request it carries, when
    /// <paramref name="requestTaken"/>: the Handshake pattern's). Null when it did not connect.
    /// </summary>
    /// <param name="reopen">In place of a connection that closed or a connect that failed: counted in <see cref="LoadRun.Reopened"/> when it opens.</param>
    /// <param name="retry">Requests the connection sends first, if it opens (see <see cref="RequestsToRetry"/>).</param>
    private async Task<LoadConnection?> ConnectAsync(int number, SemaphoreSlim? inFlight, ReconnectBackoff backoff, bool reopen, bool requestTaken = false, RequestsToRetry? retry = null)
    {
        LoadOptions options = run.Options;
        EndPoint? source = options.SourceAddresses.Count == 0 ? null : new IPEndPoint(options.SourceAddresses[number % options.SourceAddresses.Count], 0);
        long started = Stopwatch.GetTimestamp();
        run.ConnectStarted();
        try
        {
            (Connection connection, LoadConnection handler) = await DialAsync(source, raced => new LoadConnection(run, this, number, backoff, raced, reopen, started, retry)).ConfigureAwait(false);
            handler.Opened(connection); // a race's winner is opened (and its connect time recorded) here, the others opened themselves
            return handler;
        }
        catch (Exception ex) when ((ex is OperationCanceledException && stop.IsCancellationRequested) || (ex is ObjectDisposedException && run.Stopping))
        {
            // The run ended during the connect (a reopen that raced it finds the dialer gone: nothing else is missing). The
            // Handshake pattern's request, taken for this connect, was in flight then.
            if (requestTaken)
            {
                run.InFlightAtStop(1);
            }
        }
        catch (Exception ex) when (ex is SocketException or TimeoutException or IOException or AuthenticationException)
        {
            Interlocked.Increment(ref run.ConnectFailures);
            LoadErrorKind kind = LoadGenerator.Classify(ex);
            if (kind is LoadErrorKind.Other or LoadErrorKind.TlsHandshake)
            {
                run.Error(kind, ex.Message);
            }
            else
            {
                run.Error(kind);
            }

            if (requestTaken)
            {
                run.Fail(1);
            }
        }
        finally
        {
            run.ConnectEnded();
            inFlight?.Release();
        }

        return null;
    }

    /// <summary>
    /// Connects to the run's address or, until one has accepted a connect, races the target's addresses (see
    /// <see cref="RaceAsync"/>), with a new handler for each attempt: only the winner's is opened (see
    /// <see cref="LoadConnection.Opened"/>). A failure at an address is kept for the result (<see cref="TargetAddresses.Failed"/>).
    /// </summary>
    private async Task<(Connection Connection, LoadConnection Handler)> DialAsync(EndPoint? source, Func<bool, LoadConnection> newHandler)
    {
        int? chosen = _addresses.Chosen;
        if (chosen is null && _addresses.Count > 1)
        {
            return await RaceAsync(source, newHandler).ConfigureAwait(false);
        }

        int address = chosen ?? 0; // the run's address, or a target's only one: nothing to race
        LoadConnection handler = newHandler(false);
        try
        {
            Connection connection = await dialer.ConnectAsync(_addresses[address], handler, source, cancellationToken: stop).ConfigureAwait(false);
            _addresses.Accepted(address);
            return (connection, handler);
        }
        catch (Exception ex) when (ex is SocketException or TimeoutException or AuthenticationException)
        {
            _addresses.Failed(address, ex);
            throw;
        }
    }

    /// <summary>
    /// Happy Eyeballs (RFC 8305 §5) over the target's addresses, in order: the next address's connect starts when the one
    /// before failed (refused, unreachable, timed out: at once) or has not completed within <see cref="ConnectionAttemptDelay"/>;
    /// the first to connect wins, and the attempts still running are canceled, one that connected anyway closed unopened (so
    /// it counts nowhere). At most one attempt per address. When every address failed, the first address's failure is
    /// thrown: it is the one the user named first. A TLS failure (the server answered) or the run's stop ends the race at once.
    /// </summary>
    private async Task<(Connection Connection, LoadConnection Handler)> RaceAsync(EndPoint? source, Func<bool, LoadConnection> newHandler)
    {
        var race = CancellationTokenSource.CreateLinkedTokenSource(stop);
        var running = new List<(int Address, LoadConnection Handler, Task<Connection> Connect)>(_addresses.Count);
        var tasks = new List<Task>(_addresses.Count + 1);
        ExceptionDispatchInfo? firstFailure = null;
        int next = 0;
        try
        {
            while (true)
            {
                if (running.Count == 0)
                {
                    if (next == _addresses.Count)
                    {
                        firstFailure!.Throw();
                    }

                    Start();
                }

                tasks.Clear();
                tasks.AddRange(running.Select(r => (Task)r.Connect));
                Task? delay = next < _addresses.Count ? Task.Delay(ConnectionAttemptDelay, race.Token) : null;
                if (delay is not null)
                {
                    tasks.Add(delay);
                }

                Task done = await Task.WhenAny(tasks).ConfigureAwait(false);
                if (done == delay)
                {
                    stop.ThrowIfCancellationRequested();
                    Start(); // the attempts under way are slow: race the next address alongside them
                    continue;
                }

                int index = running.FindIndex(r => r.Connect == done);
                (int address, LoadConnection handler, Task<Connection> connect) = running[index];
                running.RemoveAt(index);
                try
                {
                    Connection connection = await connect.ConfigureAwait(false);
                    _addresses.Accepted(address);
                    return (connection, handler);
                }
                catch (Exception ex) when (ex is SocketException or TimeoutException)
                {
                    // Refused, unreachable, no route for this family, no answer in time: the next address may take it, now.
                    _addresses.Failed(address, ex);
                    firstFailure = address == 0 ? ExceptionDispatchInfo.Capture(ex) : firstFailure ?? ExceptionDispatchInfo.Capture(ex);
                    if (next < _addresses.Count)
                    {
                        Start();
                    }
                }
                catch (AuthenticationException ex)
                {
                    _addresses.Failed(address, ex);
                    throw;
                }
            }
        }
        finally
        {
            await race.CancelAsync().ConfigureAwait(false);
            _ = CloseLosersAsync(running, race);
        }

        void Start()
        {
            LoadConnection handler = newHandler(true);
            running.Add((next, handler, dialer.ConnectAsync(_addresses[next], handler, source, cancellationToken: race.Token)));
            next++;
        }
    }

    /// <summary>Waits out the attempts a race left running (canceled), closes any that connected before the cancel reached it, then frees the race's token.</summary>
    private static async Task CloseLosersAsync(List<(int Address, LoadConnection Handler, Task<Connection> Connect)> losers, CancellationTokenSource race)
    {
        foreach ((_, _, Task<Connection> connect) in losers)
        {
            try
            {
                Connection connection = await connect.ConfigureAwait(false);
                connection.Close();
            }
            catch (Exception)
            {
                // Canceled, or failed on its own: there is nothing to close, and the race was decided without it.
            }
        }

        race.Dispose();
    }
}
