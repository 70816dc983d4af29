using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Authentication;
using Netpoll.Client;
using Netpoll.Connections;

namespace Netpoll.Load;

/// <summary>
/// Opens a run's connections through its <see cref="Dialer"/>: the ramp (at the connect rate, at most
/// <see cref="ConnectsInFlight"/> connects at a time, spread over the source addresses), and a new
/// connection in place of one the server closed the way its protocol allows; for the Handshake pattern, a
/// new connection per request in each slot. Connect failures are counted by cause.
/// </summary>
internal sealed class LoadConnector(Dialer dialer, LoadRun run, CancellationToken stop)
{
    private const int ConnectsInFlight = 256;

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
                starts.Add(options.Pattern == LoadPattern.Handshake ? ConnectionPerRequestAsync(i, inFlight) : ConnectAsync(i, inFlight, null));
            }
        }
        finally
        {
            await Task.WhenAll(starts).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Opens a connection in place of connection <paramref name="number"/>, which the server closed cleanly; it goes
    /// on from <paramref name="cursor"/> on the request wheel, so a request that makes the server close does not
    /// send the new connection back to where the old one started (which would starve the requests after it). Any thread.
    /// </summary>
    public void Reopen(int number, int cursor)
    {
        if (run.Stopping || stop.IsCancellationRequested)
        {
            return;
        }

        Interlocked.Increment(ref run.Reopened);
        _ = ConnectAsync(number, null, cursor);
    }

    /// <summary>
    /// The Handshake pattern's slot: a new connection per request, each taken from the budget before it connects, so
    /// the connect and handshake are part of that request. The ramp took the first connect permit; later connects take their own.
    /// </summary>
    private async Task ConnectionPerRequestAsync(int number, SemaphoreSlim inFlight)
    {
        bool permit = true;
        int cursor = run.Http!.StartFor(number);
        try
        {
            while (!stop.IsCancellationRequested && run.TryStartRequest())
            {
                if (!permit)
                {
                    await inFlight.WaitAsync(stop).ConfigureAwait(false);
                    permit = true;
                }

                LoadConnection? connection = await ConnectAsync(number, null, cursor, requestTaken: true).ConfigureAwait(false);
                inFlight.Release();
                permit = false;
                if (connection is not null)
                {
                    cursor = await connection.Closed.WaitAsync(stop).ConfigureAwait(false);
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
    private async Task<LoadConnection?> ConnectAsync(int number, SemaphoreSlim? inFlight, int? cursor, bool requestTaken = false)
    {
        LoadOptions options = run.Options;
        EndPoint? source = options.SourceAddresses.Count == 0 ? null : new IPEndPoint(options.SourceAddresses[number % options.SourceAddresses.Count], 0);
        long started = Stopwatch.GetTimestamp();
        run.ConnectStarted();
        try
        {
            var handler = new LoadConnection(run, this, number, cursor, requestTaken ? started : 0);
            Connection connection = await dialer.ConnectAsync(options.Target, handler, source, cancellationToken: stop).ConfigureAwait(false);
            run.ConnectTime.Record((long)Stopwatch.GetElapsedTime(started).TotalNanoseconds);
            handler.Opened(connection);
            return handler;
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
        catch (ObjectDisposedException) when (run.Stopping)
        {
            // A reopen that raced the end of the run: the dialer is gone, and nothing is missing.
        }
        catch (Exception ex) when (ex is SocketException or TimeoutException or IOException or AuthenticationException)
        {
            Interlocked.Increment(ref run.ConnectFailures);
            LoadErrorKind kind = LoadGenerator.Classify(ex);
            if (kind == LoadErrorKind.Other)
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
}
