using System.Buffers;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using Netpoll.Connections;

namespace Netpoll.Protocols;

/// <summary>
/// One connection's HTTP/1.1 server side, apart from the transport: it reads requests from whatever
/// input is buffered (in any pieces), answers them in order into an <see cref="IHttpOutput"/>, and says
/// what the connection does next (<see cref="HttpStep"/>). Static answers are written inline without
/// allocating; delays and callbacks become a pending answer the caller awaits. It also keeps the
/// request deadline (head timeout, minimum body rate) that the caller hands to the engine.
/// </summary>
/// <remarks>
/// Not thread-safe: the caller serializes <see cref="Process"/>, <see cref="FinishPending"/> and
/// <see cref="OnDeadline"/> (the handler locks the session).
/// </remarks>
internal sealed class HttpSession
{
    /// <summary>How long a refused client may go on sending before the connection closes (see <see cref="HttpStep.Linger"/>).</summary>
    public static readonly TimeSpan LingerTime = TimeSpan.FromSeconds(2);

    /// <summary>Paths up to this long are normalised on the stack; longer ones that need it get an array.</summary>
    private const int PathScratchBytes = 256;

    private static readonly byte[] ContinueResponse = "HTTP/1.1 100 Continue\r\n\r\n"u8.ToArray();

    private readonly HttpRouteTable _routes;
    private readonly HttpServerOptions _options;
    private readonly HttpServerCounters _counters;
    private readonly Action<HttpRoute, HttpRequest, Exception, Connection?>? _onRouteFailed;
    private readonly Connection? _connection;            // only to tell callbacks who is asking

    // Reading: a head, then (if it has one) its body.
    private bool _inBody;
    private HttpHeadScanner _scanner;
    private bool _partialHead;            // bytes of a head have arrived but not its end
    private HttpChunkedDecoder _chunked;
    private HttpBodyFraming _framing;
    private long _bodyRemaining;          // Content-Length bytes still to come
    private long _bodyRead;
    private long _bodyStartMs;
    private HttpBodyBuffer? _body;        // collects the body for a dynamic route; made on first use

    // The answer to the request being read or answered.
    private Reply _reply;
    private HttpRequest? _request;        // a dynamic route's view of the request

    // The deadline (Environment.TickCount64 ms; 0: none) and what it guards.
    private long _deadline;
    private DeadlineKind _deadlineKind;
    private bool _lingering;              // refused: every byte that still comes is dropped, until close

    public HttpSession(HttpRouteTable routes, HttpServerOptions options, HttpServerCounters counters, long nowMs,
        Action<HttpRoute, HttpRequest, Exception, Connection?>? onRouteFailed = null, Connection? connection = null)
    {
        _routes = routes;
        _options = options;
        _counters = counters;
        _onRouteFailed = onRouteFailed;
        _connection = connection;
        ArmHeadDeadline(nowMs); // the first request's head is due from accept (nginx's client_header_timeout)
    }

    /// <summary>What the armed deadline waits for.</summary>
    private enum DeadlineKind
    {
        Head,       // a request head to finish (or the first to begin, from accept)
        Body,       // the next body byte at the minimum rate
        KeepAlive,  // the next request to begin on an idle keep-alive connection
    }

    private enum AnswerKind
    {
        Route,
        NotFound,
        MethodNotAllowed,
        Options,
    }

    /// <summary>When the request deadline passes (TickCount64 ms), or 0 when none is armed.</summary>
    public long Deadline => _deadline;

    /// <summary>The deadline last handed to the engine; the caller keeps it here.</summary>
    public long AppliedDeadline { get; set; }

    /// <summary>
    /// Answers every complete request in <paramref name="input"/>, in order. <paramref name="consumed"/>
    /// bytes were used and may be dropped; <paramref name="wrote"/>: something was written to flush.
    /// </summary>
    public HttpStep Process<TOutput>(in ReadOnlySequence<byte> input, TOutput output, long nowMs, out long consumed, out bool wrote)
        where TOutput : IHttpOutput
    {
        consumed = 0;
        wrote = false;
        if (_lingering)
        {
            consumed = input.Length;
            return HttpStep.NeedMore;
        }

        while (true)
        {
            ReadOnlySequence<byte> rest = input.Slice(consumed);
            if (!_inBody)
            {
                if (rest.IsEmpty)
                {
                    ArmKeepAliveDeadline(nowMs); // every request so far is answered
                    return HttpStep.NeedMore;
                }

                switch (_scanner.Scan(rest, _options, out int headLength, out HttpRejection refused))
                {
                    case HttpHeadScanner.Result.NeedMore:
                        _partialHead = true;
                        ArmHeadDeadline(nowMs);
                        return HttpStep.NeedMore;
                    case HttpHeadScanner.Result.Rejected:
                        wrote = true;
                        return Refuse(output, refused);
                }

                HttpRejection rejection = OnHead(rest.Slice(0, headLength), rest.Length > headLength, output, nowMs, ref wrote);
                consumed += headLength;
                if (rejection.IsRejected)
                {
                    wrote = true;
                    return Refuse(output, rejection);
                }

                if (_inBody)
                {
                    if (_reply.AnsweredBeforeBody)
                    {
                        HttpStep? early = Answer(output, ref wrote);
                        if (early is not null)
                        {
                            return early.Value;
                        }
                    }

                    continue;
                }
            }
            else
            {
                HttpRejection rejection = ReadBody(rest, nowMs, out long used, out bool complete);
                consumed += used;
                if (rejection.IsRejected)
                {
                    wrote = true;
                    return Refuse(output, rejection);
                }

                if (!complete)
                {
                    return HttpStep.NeedMore;
                }

                if (_reply.AnsweredBeforeBody)
                {
                    continue; // its body was only to be dropped
                }
            }

            HttpStep? step = Answer(output, ref wrote);
            if (step is not null)
            {
                return step.Value;
            }
        }
    }

    /// <summary>Waits for the pending answer (a delay, a callback) and returns what to write. Never throws: a failed callback gives 500.</summary>
    public async ValueTask<HttpResponseTemplate> AwaitPendingAsync()
    {
        HttpRoute route = _reply.Route!;
        if (!route.IsDynamic)
        {
            await Task.Delay(route.Template!.NextDelay()).ConfigureAwait(false);
            return route.Template;
        }

        HttpRequest request = _request!;
        HttpResponseTemplate template;
        try
        {
            HttpResponse? response = await StartCallback(route, request).ConfigureAwait(false);
            template = HttpResponseTemplate.Compile(response ?? throw new InvalidOperationException($"The callback of route '{route.Pattern}' returned no response."));
        }
        catch (OperationCanceledException) when (request.IsAborted)
        {
            // The callback gave up because its client is gone: no failure of the route, and no answer will reach anyone.
            return HttpResponseTemplate.Error(500);
        }
        catch (Exception ex)
        {
            _reply.Failed = true;
            Interlocked.Increment(ref _counters.RouteFailures);
            _onRouteFailed?.Invoke(route, request, ex, _connection);
            return HttpResponseTemplate.Error(500);
        }

        if (template.HasDelay)
        {
            await Task.Delay(template.NextDelay()).ConfigureAwait(false);
        }

        return template;
    }

    /// <summary>Writes the awaited answer. Then: <see cref="HttpStep.Close"/>, or null to process the input again.</summary>
    public HttpStep? FinishPending<TOutput>(TOutput output, HttpResponseTemplate template)
        where TOutput : IHttpOutput
    {
        _request = null;
        return Write(output, template, _reply.Route);
    }

    /// <summary>
    /// The engine's request deadline passed. <see cref="HttpStep.NeedMore"/>: it moved (or was cleared)
    /// meanwhile, <see cref="Deadline"/> says where to; <see cref="HttpStep.Linger"/>: a request was under
    /// way and a 408 was written; <see cref="HttpStep.Close"/>: close now (nothing was sent, a keep-alive
    /// connection sat idle, or a refused client's linger time is over).
    /// </summary>
    /// <param name="answerUnread">The client has not yet taken all that was sent (a keep-alive connection is not idle then).</param>
    public HttpStep OnDeadline<TOutput>(TOutput output, long nowMs, bool answerUnread = false)
        where TOutput : IHttpOutput
    {
        if (_deadline == 0 || nowMs < _deadline)
        {
            return HttpStep.NeedMore;
        }

        _deadline = 0;
        if (_lingering)
        {
            return HttpStep.Close;
        }

        if (_deadlineKind == DeadlineKind.KeepAlive)
        {
            if (answerUnread)
            {
                ArmKeepAliveDeadline(nowMs); // still downloading the last answer: idle only once it has it
                return HttpStep.NeedMore;
            }

            return HttpStep.Close; // idle: no fault, nothing to say
        }

        bool body = _deadlineKind == DeadlineKind.Body;
        if (body)
        {
            Interlocked.Increment(ref _counters.BodyTimeouts);
        }
        else
        {
            Interlocked.Increment(ref _counters.HeadTimeouts);
        }

        if ((!body && !_partialHead) || (body && _reply.AnsweredBeforeBody))
        {
            return HttpStep.Close; // nothing was asked, or the request already has its answer: nothing to answer
        }

        HttpResponseTemplate.Error(408).Write(output, headOnly: false, http11: true, HttpPersistence.Close);
        return HttpStep.Linger;
    }

    /// <summary>A refusal went out and sending has stopped: drop what still comes, and close after <see cref="LingerTime"/> at the latest.</summary>
    public void StartLinger(long nowMs)
    {
        _lingering = true;
        _deadline = nowMs + (long)LingerTime.TotalMilliseconds;
    }

    /// <summary>A head is complete: check it, decide its answer, and set up reading its body.</summary>
    [SkipLocalsInit] // the path scratch is written before it is read, and most heads never touch it
    private HttpRejection OnHead<TOutput>(in ReadOnlySequence<byte> headBytes, bool bodyBytesFollow, TOutput output, long nowMs, ref bool wrote)
        where TOutput : IHttpOutput
    {
        _scanner.Reset();
        _partialHead = false;
        _deadline = 0;
        byte[]? rented = null;
        ReadOnlySpan<byte> bytes = headBytes.IsSingleSegment ? headBytes.FirstSpan : Copy(headBytes, out rented);
        Span<byte> pathScratch = stackalloc byte[PathScratchBytes];
        try
        {
            HttpRejection rejection = HttpRequestParser.Parse(bytes, _options, pathScratch, out HttpRequestHead head);
            if (rejection.IsRejected)
            {
                return rejection;
            }

            if (head.Form == HttpTargetForm.Authority)
            {
                return new HttpRejection(501, "CONNECT tunnels are not served");
            }

            Decide(head);
            if (head.Framing == HttpBodyFraming.None)
            {
                return default;
            }

            _inBody = true;
            _framing = head.Framing;
            _bodyRemaining = head.ContentLength;
            _bodyRead = 0;
            _bodyStartMs = nowMs;
            _chunked.Reset();
            ArmBodyDeadline();
            if (head.ExpectContinue && IsErrorKnownFromHead())
            {
                // RFC 9110 §10.1.1: no 100 for a body nobody needs; the error goes at once (as nginx does), and the
                // connection stays, dropping the body if the client sends it all the same.
                _reply.AnsweredBeforeBody = true;
            }
            else if (head.ExpectContinue && !bodyBytesFollow)
            {
                Span<byte> span = output.GetSpan(ContinueResponse.Length);
                ContinueResponse.CopyTo(span);
                output.Advance(ContinueResponse.Length);
                wrote = true;
            }

            return default;
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>Matches the route and notes how to answer; a dynamic route gets its copy of the request.</summary>
    private void Decide(in HttpRequestHead head)
    {
        _reply = new Reply
        {
            HeadOnly = head.IsHead,
            Http11 = head.Http11,
            Persistence = !head.KeepAlive ? HttpPersistence.Close : head.KeepAliveRequested ? HttpPersistence.KeepAlive10 : HttpPersistence.KeepAlive,
        };

        if (head.Form == HttpTargetForm.Asterisk)
        {
            _reply.Kind = AnswerKind.Options;
            return;
        }

        HttpRoute? route = _routes.Match(head.Method, head.Path, out bool pathMatched);
        if (route is null)
        {
            _reply.Kind = pathMatched ? AnswerKind.MethodNotAllowed : AnswerKind.NotFound;
            _reply.Allow = pathMatched ? _routes.AllowedMethods(head.Path) : null;
            return;
        }

        _reply.Kind = AnswerKind.Route;
        _reply.Route = route;
        if (route.IsDynamic)
        {
            _request = HttpRequest.From(head, route.Parsed, _connection);
        }
    }

    /// <summary>The answer is an error that the head decides and no delay holds back (404, 405, a static route's 4xx/5xx).</summary>
    private bool IsErrorKnownFromHead() => _reply.Kind switch
    {
        AnswerKind.NotFound or AnswerKind.MethodNotAllowed => true,
        AnswerKind.Route => !_reply.Route!.IsDynamic && !_reply.Route.Template!.HasDelay && _reply.Route.Template.Status >= 400,
        _ => false,
    };

    /// <summary>Reads body bytes from <paramref name="input"/>, keeping them only for a dynamic route.</summary>
    private HttpRejection ReadBody(in ReadOnlySequence<byte> input, long nowMs, out long used, out bool complete)
    {
        HttpBodyBuffer? sink = _request is not null ? (_body ??= new HttpBodyBuffer()) : null;
        complete = false;
        if (_framing == HttpBodyFraming.ContentLength)
        {
            used = Math.Min(_bodyRemaining, input.Length);
            sink?.Append(input.Slice(0, used));
            _bodyRemaining -= used;
            complete = _bodyRemaining == 0;
        }
        else
        {
            switch (_chunked.Decode(input, sink, _options, out used, out HttpRejection rejection))
            {
                case HttpChunkedDecoder.Result.Rejected:
                    return rejection;
                case HttpChunkedDecoder.Result.Complete:
                    complete = true;
                    break;
            }
        }

        _bodyRead += used;
        if (!complete)
        {
            if (used > 0)
            {
                ArmBodyDeadline();
            }

            return default;
        }

        _inBody = false;
        _deadline = 0;
        if (sink is not null)
        {
            (byte[] body, IReadOnlyDictionary<string, string> trailers) = sink.Take();
            _request!.Body = body;
            _request.Trailers = trailers;
        }

        return default;
    }

    /// <summary>Answers the request just read. Null: answered inline, go on reading.</summary>
    private HttpStep? Answer<TOutput>(TOutput output, ref bool wrote)
        where TOutput : IHttpOutput
    {
        _reply.Start = Stopwatch.GetTimestamp();
        HttpResponseTemplate template;
        switch (_reply.Kind)
        {
            case AnswerKind.Route when _reply.Route!.IsDynamic || _reply.Route.Template!.HasDelay:
                return HttpStep.Pending;
            case AnswerKind.Route:
                template = _reply.Route.Template!;
                break;
            case AnswerKind.NotFound:
                template = HttpResponseTemplate.Error(404);
                break;
            case AnswerKind.MethodNotAllowed:
                template = HttpResponseTemplate.Compile(new HttpResponse
                {
                    Status = 405,
                    Body = HttpBody.FromString("Method Not Allowed"),
                    ContentType = "text/plain",
                    Headers = [new("Allow", _reply.Allow!)],
                });
                break;
            default:
                template = HttpResponseTemplate.Compile(new HttpResponse { Headers = [new("Allow", _routes.AllMethods())] });
                break;
        }

        wrote = true;
        return Write(output, template, _reply.Kind == AnswerKind.Route ? _reply.Route : null);
    }

    private HttpStep? Write<TOutput>(TOutput output, HttpResponseTemplate template, HttpRoute? route)
        where TOutput : IHttpOutput
    {
        HttpPersistence persistence = template.CloseAfter ? HttpPersistence.Close : _reply.Persistence;
        template.Write(output, _reply.HeadOnly, _reply.Http11, persistence);
        route?.Record(_reply.Start, _reply.Failed);
        if (persistence != HttpPersistence.Close)
        {
            return null;
        }

        // Answered before its body came: the client may still be sending it, so drop it rather than reset it.
        return _inBody ? HttpStep.Linger : HttpStep.Close;
    }

    private HttpStep Refuse<TOutput>(TOutput output, HttpRejection rejection)
        where TOutput : IHttpOutput
    {
        Interlocked.Increment(ref _counters.Rejected);
        _deadline = 0;
        HttpResponseTemplate.Refusal(rejection).Write(output, headOnly: false, http11: true, HttpPersistence.Close);
        return HttpStep.Linger;
    }

    /// <summary>A head is due RequestHeadTimeout from now; an idle keep-alive deadline gives way to it (a request has begun).</summary>
    private void ArmHeadDeadline(long nowMs)
    {
        if (_deadline != 0 && _deadlineKind != DeadlineKind.KeepAlive)
        {
            return; // already measured from the head's first byte
        }

        _deadline = 0;
        if (_options.RequestHeadTimeout > TimeSpan.Zero)
        {
            _deadline = nowMs + (long)_options.RequestHeadTimeout.TotalMilliseconds;
            _deadlineKind = DeadlineKind.Head;
        }
    }

    /// <summary>Every request is answered and no next one has begun: the connection may idle KeepAliveTimeout from now.</summary>
    private void ArmKeepAliveDeadline(long nowMs)
    {
        if (_deadline == 0 && _options.KeepAliveTimeout > TimeSpan.Zero)
        {
            _deadline = nowMs + (long)_options.KeepAliveTimeout.TotalMilliseconds;
            _deadlineKind = DeadlineKind.KeepAlive;
        }
    }

    /// <summary>The time by which the next body byte must come for the body to average MinBodyDataRate after the grace period.</summary>
    private void ArmBodyDeadline()
    {
        if (_options.MinBodyDataRate > 0)
        {
            _deadline = Math.Max(1, _bodyStartMs + (long)_options.MinBodyDataRateGracePeriod.TotalMilliseconds + (long)(_bodyRead * 1000 / _options.MinBodyDataRate));
            _deadlineKind = DeadlineKind.Body;
        }
    }

    private static ValueTask<HttpResponse> StartCallback(HttpRoute route, HttpRequest request)
    {
        Func<HttpRequest, ValueTask<HttpResponse>> callback = route.Callback!;
        return route.RunsInline ? callback(request) : new ValueTask<HttpResponse>(Task.Run(() => callback(request).AsTask()));
    }

    private static ReadOnlySpan<byte> Copy(in ReadOnlySequence<byte> bytes, out byte[]? rented)
    {
        rented = ArrayPool<byte>.Shared.Rent((int)bytes.Length);
        bytes.CopyTo(rented);
        return rented.AsSpan(0, (int)bytes.Length);
    }

    /// <summary>How the request being handled is answered.</summary>
    private struct Reply
    {
        public AnswerKind Kind;
        public HttpRoute? Route;
        public string? Allow;
        public bool HeadOnly;
        public bool Http11;
        public HttpPersistence Persistence;
        public long Start;       // Stopwatch timestamp of the request's last byte
        public bool Failed;      // the callback failed; the answer is a 500
        public bool AnsweredBeforeBody; // Expect: 100-continue on an error: answered at once, its body (if any) dropped
    }
}
