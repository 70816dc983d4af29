using System.Buffers;
using System.Diagnostics;
using System.Text.Json;
using Netpoll.Connections;
using Netpoll.Diagnostics;

namespace Netpoll.Protocols;

/// <summary>
/// An HTTP/1.1 server (RFC 9110/9112) answering from an <see cref="HttpRouteTable"/>: keep-alive,
/// pipelining, Content-Length and chunked request bodies, strict request validation, and limits on
/// slow clients (see <see cref="HttpServerOptions"/>). Without routes it is the built-in responder:
/// <c>GET /</c> → 200 "Hello, World!", <c>GET /stats</c> → the server's counters as JSON.
/// </summary>
/// <remarks>
/// A request the RFCs reject gets its 4xx/5xx with <c>Connection: close</c> and the connection closes
/// (<see cref="HttpRequestParser"/> lists the checks) once the client stops sending (lingering, as nginx
/// does, so the client reads the refusal instead of a reset). Static routes are answered inline, with no
/// allocation; delayed and dynamic ones are awaited without blocking the poller, and later requests on
/// the connection wait their turn. The handler keeps its per-connection state in <see cref="Connection.Context"/>.
/// </remarks>
public sealed class HttpHandler : ConnectionHandler
{
    /// <summary>Default largest request head (request line plus fields), Kestrel's 32 KiB (nginx takes up to four 8 KiB lines); see <see cref="HttpServerOptions.MaxHeaderBytes"/>.</summary>
    public const int MaxHeaderBytes = 32 * 1024;

    /// <summary>Default largest request body; see <see cref="HttpServerOptions.MaxBodyBytes"/>.</summary>
    public const int MaxBodyBytes = 1024 * 1024;

    private readonly HttpServerCounters _counters = new();
    private readonly Action<HttpRoute, HttpRequest, Exception, Connection?> _reportFailure;

    /// <summary>The built-in responder: GET / and GET /stats.</summary>
    /// <param name="stats">Source of the counters served at GET /stats (the server's <see cref="Server.EventLoop.GetStats"/>).</param>
    public HttpHandler(Func<IReadOnlyList<PollerStats>>? stats = null)
        : this(CreateBuiltInRoutes(stats))
    {
    }

    /// <param name="routes">What to answer; it may change while the server runs.</param>
    /// <param name="options">Limits and timeouts; null: the defaults.</param>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public HttpHandler(HttpRouteTable routes, HttpServerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(routes);
        options ??= new HttpServerOptions();
        options.Validate();
        Routes = routes;
        Options = options;
        _reportFailure = ReportFailure;
    }

    /// <summary>A dynamic route's callback failed (its client got 500). Raised on the thread that saw the failure; a handler that throws is ignored.</summary>
    public event EventHandler<HttpRouteFailedEventArgs>? RouteFailed;

    public HttpRouteTable Routes { get; }

    public HttpServerOptions Options { get; }

    /// <summary>True: parsing and static answers never block; delays and callbacks are awaited, never waited on. So
    /// <see cref="DispatchMode.Auto"/> runs it on the poller thread.</summary>
    public override bool NeverBlocks => true;

    /// <summary>The built-in routes: <c>GET /</c> → "Hello, World!" and <c>GET /stats</c> → <paramref name="stats"/> as JSON.</summary>
    public static HttpRouteTable CreateBuiltInRoutes(Func<IReadOnlyList<PollerStats>>? stats = null) => new(
    [
        HttpRoute.Static("GET /", HttpResponse.Text("Hello, World!", contentType: "text/plain")),
        HttpRoute.Dynamic("GET /stats", _ => new ValueTask<HttpResponse>(new HttpResponse { Body = HttpBody.FromBytes(StatsJson(stats)), ContentType = "application/json" }), runsInline: true),
    ]);

    /// <summary>What this handler refused or cut short so far.</summary>
    public HttpServerStatistics GetStatistics() => _counters.Snapshot();

    public override ValueTask OnConnectAsync(Connection connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        HttpSession session = SessionOf(connection);
        lock (session)
        {
            ApplyDeadline(connection, session, Environment.TickCount64); // the first head is due from accept
        }

        return default;
    }

    /// <summary>Plain HTTP sent to this server's TLS port: a 400 "The plain HTTP request was sent to HTTPS port" in the clear, as nginx answers, then the connection closes.</summary>
    public override ReadOnlyMemory<byte> AnswerPlaintextOnTls(ReadOnlySpan<byte> firstBytes)
    {
        if (!HttpPlaintextOnTls.LooksLikeRequest(firstBytes))
        {
            return default;
        }

        Interlocked.Increment(ref _counters.Rejected);
        return HttpPlaintextOnTls.Answer();
    }

    /// <summary>A head or body did not arrive in time: answer 408 if a request was under way, and close.</summary>
    public override bool OnRequestDeadline(Connection connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        if (connection.Context is not HttpSession session)
        {
            return true;
        }

        lock (session)
        {
            long now = Environment.TickCount64;
            session.AppliedDeadline = 0; // the engine's has fired
            // Asked of the kernel only when a deadline fires: a keep-alive connection still sending its answer is not idle.
            switch (session.OnDeadline(new ConnectionOutput(connection.Writer), now, connection.HasUnacknowledgedOutput))
            {
                case HttpStep.NeedMore:
                    ApplyDeadline(connection, session, now); // it moved (a body kept its rate) or was cleared
                    return false;
                case HttpStep.Linger:
                    // Send the 408 now and linger; if it cannot go at once, the engine sends what it can and closes.
                    ValueTask flush = connection.Writer.FlushAsync();
                    if (!flush.IsCompletedSuccessfully)
                    {
                        _ = flush.AsTask(); // observed; the close fails it
                        return true;
                    }

                    return !Linger(connection, session, now);
                default:
                    return true;
            }
        }
    }

    public override ValueTask OnRequestAsync(Connection connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        HttpSession session = SessionOf(connection);
        HttpStep step;
        bool wrote;
        lock (session)
        {
            long now = Environment.TickCount64;
            step = session.Process(connection.Reader.GetReadableSequence(), new ConnectionOutput(connection.Writer), now, out long consumed, out wrote);
            connection.Reader.Skip((int)consumed);
            ApplyDeadline(connection, session, now);
        }

        if (step == HttpStep.NeedMore)
        {
            return wrote ? connection.Writer.FlushAsync() : default;
        }

        return FinishAsync(connection, session, step, wrote);
    }

    /// <summary>The slow path: flush, await pending answers (delays, callbacks) in order, close when told to.</summary>
    private static async ValueTask FinishAsync(Connection connection, HttpSession session, HttpStep step, bool wrote)
    {
        var output = new ConnectionOutput(connection.Writer);
        try
        {
            while (step == HttpStep.Pending)
            {
                if (wrote)
                {
                    await connection.Writer.FlushAsync().ConfigureAwait(false); // what is answered goes out before the wait
                }

                HttpResponseTemplate template = await session.AwaitPendingAsync().ConfigureAwait(false);
                lock (session)
                {
                    wrote = true;
                    if (session.FinishPending(output, template) is { } finished)
                    {
                        step = finished;
                    }
                    else
                    {
                        long now = Environment.TickCount64;
                        step = session.Process(connection.Reader.GetReadableSequence(), output, now, out long consumed, out _);
                        connection.Reader.Skip((int)consumed);
                        ApplyDeadline(connection, session, now);
                    }
                }
            }

            if (wrote)
            {
                await connection.Writer.FlushAsync().ConfigureAwait(false);
            }
        }
        catch (ConnectionClosedException)
        {
            return; // the client went away while we waited: nobody to answer
        }

        if (step == HttpStep.Close)
        {
            connection.Close();
        }
        else if (step == HttpStep.Linger)
        {
            lock (session)
            {
                if (!Linger(connection, session, Environment.TickCount64))
                {
                    connection.Close();
                }
            }
        }
    }

    /// <summary>
    /// After a refusal has been sent: stop sending (FIN) and let the session drop what the client still
    /// sends until it closes or the linger time passes. False: the connection is closing already.
    /// Called under the session's lock.
    /// </summary>
    private static bool Linger(Connection connection, HttpSession session, long nowMs)
    {
        try
        {
            connection.ShutdownSend();
        }
        catch (ConnectionClosedException)
        {
            return false;
        }

        session.StartLinger(nowMs);
        ApplyDeadline(connection, session, nowMs);
        return true;
    }

    /// <summary>
    /// Hands the session's deadline to the engine when it changed. A deadline that only moved later is left
    /// as it is: when the earlier one fires, <see cref="OnRequestDeadline"/> finds it not yet due and moves
    /// it then, so a body arriving steadily costs no timer work per read. Called under the session's lock.
    /// </summary>
    private static void ApplyDeadline(Connection connection, HttpSession session, long nowMs)
    {
        long wanted = session.Deadline;
        long applied = session.AppliedDeadline;
        if (wanted == applied || (wanted > applied && applied != 0))
        {
            return;
        }

        session.AppliedDeadline = wanted;
        if (wanted == 0)
        {
            connection.ClearRequestDeadline();
        }
        else
        {
            connection.SetRequestDeadline(TimeSpan.FromMilliseconds(Math.Max(1, wanted - nowMs)));
        }
    }

    private HttpSession SessionOf(Connection connection)
    {
        if (connection.Context is HttpSession session)
        {
            return session;
        }

        session = new HttpSession(Routes, Options, _counters, Environment.TickCount64, _reportFailure, connection);
        connection.Context = session;
        return session;
    }

    private void ReportFailure(HttpRoute route, HttpRequest request, Exception error, Connection? connection)
    {
        connection?.ReportRequestFailure($"{request} (route '{route.Pattern}')", error); // the engine's log and event
        try
        {
            RouteFailed?.Invoke(this, new HttpRouteFailedEventArgs(route, request, error));
        }
        catch (Exception ex)
        {
            Trace.TraceWarning($"netpoll http: a RouteFailed handler threw {ex.GetType().Name}: {ex.Message}");
        }
    }

    private static byte[] StatsJson(Func<IReadOnlyList<PollerStats>>? stats)
    {
        IReadOnlyList<PollerStats> pollers = stats?.Invoke() ?? [];
        var output = new ArrayBufferWriter<byte>(512);
        using (var json = new Utf8JsonWriter(output))
        {
            json.WriteStartObject();
            json.WriteNumber("connections", pollers.Sum(p => p.Connections));
            json.WriteNumber("accepted", pollers.Sum(p => p.Accepted));
            json.WriteNumber("closed", pollers.Sum(p => p.Closed));
            json.WriteNumber("bytesIn", pollers.Sum(p => p.BytesIn));
            json.WriteNumber("bytesOut", pollers.Sum(p => p.BytesOut));
            json.WriteStartArray("pollers");
            foreach (PollerStats p in pollers)
            {
                json.WriteStartObject();
                json.WriteNumber("id", p.PollerId);
                json.WriteNumber("connections", p.Connections);
                json.WriteNumber("events", p.Events);
                json.WriteNumber("bytesIn", p.BytesIn);
                json.WriteNumber("bytesOut", p.BytesOut);
                json.WriteNumber("busyPercent", Math.Round(p.BusyPercent, 2));
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        return output.WrittenSpan.ToArray();
    }
}
