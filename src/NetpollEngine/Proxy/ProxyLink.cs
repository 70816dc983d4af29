using Netpoll.Connections;
using Netpoll.Tls;

namespace Netpoll.Proxy;

/// <summary>
/// One proxied connection: a client, the upstream connection dialed for it, and a pipe each way. It is
/// also the upstream connection's handler, so the upstream's pipe starts the moment it registers.
/// </summary>
/// <remarks>
/// <para>Each pipe's reader is its source's handler call and lasts until the whole link ends: a handler
/// call that returned after its peer's FIN would let the engine close the connection while the other
/// direction still writes to it. So half-close works: a FIN one way is passed on (shutdown of the
/// other socket's send side) and the other way stays open.</para>
/// <para>The link ends once (<see cref="End"/>): when both FINs went through, when a side fails (after
/// the data it sent before failing was delivered), when a toxic ends it, or when the proxy stops. The
/// first cause is the one counted.</para>
/// <para>A side fails in one of two ways: reading it ends in an error, or writing to it does. A failed
/// write stops only that direction (its pipe drops what its source still sends): the failed side's own
/// pipe still delivers what that side sent before, and its end ends the link. An upstream that fails
/// leaves the client a lingering close, as the Http handler's refusals do: its answer is flushed, then a
/// FIN, and the client's bytes are dropped until it closes or <see cref="LingerTime"/> passes; closing
/// with its input unread would reset the client and discard what it had not yet acknowledged.</para>
/// <para>A failed side's stream was cut short (so was one a timeout or limit_data toxic ends), so the other side's
/// close says so: over TLS it goes without close_notify (a bare FIN is how a TLS peer reads a truncation;
/// close_notify would claim a complete stream).</para>
/// </remarks>
internal sealed class ProxyLink : ConnectionHandler
{
    private readonly TcpProxy _proxy;
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Connection? _upstream;      // set once, when the upstream connection registers
    private Toxic? _downSeen;           // the down toxic this link has already rolled for
    private int _ended;                 // 1 once End ran
    private readonly Lock _gate = new(); // guards the four pipe states below: a pipe's end and its destination's failure may race
    private bool _upFinished;           // the client's FIN went through to the upstream
    private bool _downFinished;         // the upstream's FIN went through to the client
    private bool _upStopped;            // a write to the upstream failed: the client's bytes are dropped
    private bool _downStopped;          // a write to the client failed: the upstream's bytes are dropped
    private int _closingClient;         // 1 once the client's last step (a lingering close, or a reset after delivery) began

    private static readonly TimeSpan DeliveryLimit = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan DeliveryPoll = TimeSpan.FromMilliseconds(5);

    /// <summary>How long a client whose upstream failed may go on sending after its FIN (the Http handler's linger time).</summary>
    public static readonly TimeSpan LingerTime = TimeSpan.FromSeconds(2);

    public ProxyLink(TcpProxy proxy, Connection client, Toxic? downSeen)
    {
        _proxy = proxy;
        Client = client;
        _downSeen = downSeen;
        int high = proxy.Options.Connection.InputHighWaterMark;
        int low = proxy.Options.Connection.InputLowWaterMark;
        Up = new ProxyPipe(this, ToxicStream.Upstream, high, low);
        Down = new ProxyPipe(this, ToxicStream.Downstream, high, low);
    }

    public Connection Client { get; }

    /// <summary>Client to upstream.</summary>
    public ProxyPipe Up { get; }

    /// <summary>Upstream to client.</summary>
    public ProxyPipe Down { get; }

    /// <summary>Completes when the link has ended.</summary>
    public Task Completion => _completion.Task;

    public override bool NeverBlocks => true;

    private bool IsEnded => Volatile.Read(ref _ended) != 0;

    /// <summary>The client side: dials the upstream, then forwards the client's bytes until the link ends.</summary>
    public async ValueTask RunClientAsync()
    {
        Connection upstream;
        try
        {
            upstream = await _proxy.DialAsync(this).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            End(ClassifyDialFailure(ex), resetClient: _proxy.Options.OnUpstreamFailure == UpstreamFailureAction.Reset, resetUpstream: false);
            return;
        }

        await Up.RunAsync(Client, upstream).ConfigureAwait(false);
    }

    /// <summary>The upstream connection registered (before the dial's task completes): forward what it sends.</summary>
    public override ValueTask OnConnectAsync(Connection connection)
    {
        Interlocked.Exchange(ref _upstream, connection); // a full fence: End either sees it, or we see End
        if (IsEnded)
        {
            connection.Close(); // the link ended while dialing (client gone, proxy stopping)
            return default;
        }

        return Down.RunAsync(connection, Client);
    }

    /// <summary>Only reached after the link ended (the pipe's reader is the connection's one long call).</summary>
    public override ValueTask OnRequestAsync(Connection connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        connection.Close();
        return default;
    }

    /// <summary>Brings both pipes in line with the proxy's toxics; a new or updated down toxic may reset this link.</summary>
    public void SyncToxics()
    {
        IReadOnlyList<Toxic> toxics = _proxy.Toxics;
        long now = ProxyClock.NowUs();
        Up.Sync(toxics, now);
        Down.Sync(toxics, now);
        Toxic? down = toxics.FirstOrDefault(t => t.Type == ToxicType.Down);
        Toxic? seen = Interlocked.Exchange(ref _downSeen, down);
        if (down is not null && !ReferenceEquals(seen, down) && Roll(down))
        {
            End(ProxyCloseCause.Down, resetClient: true, resetUpstream: true);
        }
    }

    public bool Roll(Toxic toxic) => _proxy.Roll(toxic);

    /// <summary>Why the source of <paramref name="pipe"/> ended, when it ended other than by FIN.</summary>
    public ProxyCloseCause CauseOfEnd(ProxyPipe pipe, Connection source) => source.CloseReason switch
    {
        CloseReason.IdleTimeout => ProxyCloseCause.IdleTimeout,
        CloseReason.Shutdown => ProxyCloseCause.Shutdown,
        _ => pipe == Up ? ProxyCloseCause.ClientReset : ProxyCloseCause.UpstreamReset,
    };

    /// <summary>
    /// A pipe passed its source's FIN on; the second one ends the link. A FIN from a side whose writes
    /// failed already (it closed, then reset what we sent after) leaves nothing more to deliver from it.
    /// </summary>
    public void OnPipeFinished(ProxyPipe pipe)
    {
        bool otherFinished;
        bool otherStopped;
        lock (_gate)
        {
            SetFinished(pipe);
            otherFinished = pipe == Up ? _downFinished : _upFinished;
            otherStopped = pipe == Up ? _downStopped : _upStopped;
        }

        if (otherFinished)
        {
            End(ProxyCloseCause.Completed, resetClient: false, resetUpstream: false);
        }
        else if (otherStopped)
        {
            OnSourceFailed(pipe, CauseOfEnd(pipe, SourceOf(pipe)));
        }
    }

    /// <summary>The source of <paramref name="pipe"/> failed and what it sent before was delivered: end the link (for the upstream, after the client's last step).</summary>
    public void OnSourceFailed(ProxyPipe pipe, ProxyCloseCause cause)
    {
        if (pipe == Up)
        {
            End(cause, resetClient: cause == ProxyCloseCause.ClientReset, resetUpstream: false);
            return;
        }

        Up.Close(); // the upstream is gone: the client's bytes have nowhere to go
        if (CutsStreamShort(cause))
        {
            Client.MarkTruncated(); // before the lingering close's FIN
        }

        if (Interlocked.Exchange(ref _closingClient, 1) != 0)
        {
            return;
        }

        _ = _proxy.Options.OnUpstreamFailure == UpstreamFailureAction.Reset ? ResetClientWhenDeliveredAsync(cause) : LingerCloseClientAsync(cause);
    }

    /// <summary>
    /// A write to <paramref name="pipe"/>'s destination failed: that side is going away (a failed write closes
    /// its connection once what it sent is read). This direction stops; the other pipe delivers what the
    /// failed side sent before and ends the link with its end (or now, if its FIN went through already).
    /// </summary>
    public void OnDestinationFailed(ProxyPipe pipe)
    {
        pipe.Close();
        bool otherFinished;
        lock (_gate)
        {
            if (pipe == Up)
            {
                _upStopped = true;
                otherFinished = _downFinished;
            }
            else
            {
                _downStopped = true;
                otherFinished = _upFinished;
            }
        }

        if (otherFinished)
        {
            ProxyPipe other = pipe == Up ? Down : Up;
            OnSourceFailed(other, CauseOfEnd(other, SourceOf(other)));
        }
    }

    /// <summary>
    /// Ends the link, once: both pipes stop writing and drop what they hold, both connections close
    /// (reset where asked), the proxy counts the cause, and the handler calls waiting on the link return.
    /// </summary>
    public void End(ProxyCloseCause cause, bool resetClient, bool resetUpstream)
    {
        if (Interlocked.Exchange(ref _ended, 1) != 0)
        {
            return;
        }

        Up.Close();
        Down.Close();
        _proxy.OnLinkEnded(this, cause); // counted before the peers can see the close: stats read after it agree
        bool cutShort = CutsStreamShort(cause);
        Close(Client, resetClient, cutShort);
        if (Volatile.Read(ref _upstream) is { } upstream)
        {
            Close(upstream, resetUpstream, cutShort);
        }

        _completion.TrySetResult();
    }

    /// <summary>
    /// A reset discards what the client has not acknowledged: wait until it has everything the upstream
    /// sent (bounded by the write timeout, or 10 s), then reset.
    /// </summary>
    private async Task ResetClientWhenDeliveredAsync(ProxyCloseCause cause)
    {
        TimeSpan limit = _proxy.Options.Connection.WriteTimeout > TimeSpan.Zero ? _proxy.Options.Connection.WriteTimeout : DeliveryLimit;
        long until = Environment.TickCount64 + (long)limit.TotalMilliseconds;
        while (!IsEnded && Client.HasUnacknowledgedOutput && Environment.TickCount64 < until)
        {
            await Task.Delay(DeliveryPoll).ConfigureAwait(false);
        }

        End(cause, resetClient: true, resetUpstream: true);
    }

    /// <summary>
    /// The upstream failed and its bytes were flushed to the client: FIN after them, drop what the client still
    /// sends (the stopped up pipe reads on) until it closes or <see cref="LingerTime"/> passes, then end. Closing
    /// at once with the client's input unread would reset it, and a reset discards what it has not acknowledged.
    /// </summary>
    private async Task LingerCloseClientAsync(ProxyCloseCause cause)
    {
        try
        {
            Client.ShutdownSend();
            await Up.SourceEnded.WaitAsync(LingerTime).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
        catch (Exception ex) when (ex is ConnectionClosedException or System.Net.Sockets.SocketException)
        {
            // the client is gone already: nothing to linger for
        }

        End(cause, resetClient: false, resetUpstream: true);
    }

    private Connection SourceOf(ProxyPipe pipe) => pipe == Up ? Client : Volatile.Read(ref _upstream)!;

    private void SetFinished(ProxyPipe pipe)
    {
        if (pipe == Up)
        {
            _upFinished = true;
        }
        else
        {
            _downFinished = true;
        }
    }

    /// <summary>
    /// The stream ended where no endpoint chose: a side failed or never came, or a toxic that stands in for a broken
    /// connection (timeout, limit_data) cut it. Idle timeouts, shutdown and complete exchanges end by choice.
    /// </summary>
    private static bool CutsStreamShort(ProxyCloseCause cause) => cause is ProxyCloseCause.ClientReset or ProxyCloseCause.UpstreamReset
        or ProxyCloseCause.UpstreamRefused or ProxyCloseCause.UpstreamUnreachable or ProxyCloseCause.UpstreamTimeout
        or ProxyCloseCause.ToxicTimeout or ProxyCloseCause.ToxicLimitData;

    private static void Close(Connection connection, bool reset, bool cutShort)
    {
        if (cutShort)
        {
            connection.MarkTruncated();
        }

        if (reset)
        {
            connection.Abort();
        }
        else
        {
            connection.Close();
        }
    }

    private static ProxyCloseCause ClassifyDialFailure(Exception error) => error switch
    {
        System.Net.Sockets.SocketException { SocketErrorCode: System.Net.Sockets.SocketError.ConnectionRefused } => ProxyCloseCause.UpstreamRefused,
        System.Net.Sockets.SocketException { SocketErrorCode: System.Net.Sockets.SocketError.TimedOut } => ProxyCloseCause.UpstreamTimeout,
        TimeoutException => ProxyCloseCause.UpstreamTimeout,
        ObjectDisposedException or OperationCanceledException => ProxyCloseCause.Shutdown,
        _ => ProxyCloseCause.UpstreamUnreachable,
    };
}
