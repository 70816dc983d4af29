using System.Collections.Concurrent;
using System.Net;
using Netpoll.Buffers;
using Netpoll.Client;
using Netpoll.Connections;
using Netpoll.Diagnostics;
using Netpoll.Polling;
using Netpoll.Server;

namespace Netpoll.Proxy;

/// <summary>
/// A fault-injecting TCP proxy (toxiproxy's model): every client connection it accepts is forwarded to a
/// new connection to <see cref="Upstream"/>, zero-copy, with backpressure both ways, and with the
/// <see cref="Toxics"/> applied per direction. Toxics can be added, updated and removed while it runs.
/// </summary>
/// <remarks>
/// Built on the public engine: an <see cref="EventLoop"/> accepts clients, a <see cref="Dialer"/> connects
/// upstreams, each onto its client's poller (one thread serves a pair; <see cref="GetPollerStats"/>).
/// No poller thread ever waits: each direction is a pipe whose reader is its source's handler call and
/// whose delayed writes run from a timer on the ThreadPool.
/// </remarks>
/// <example>
/// <code>
/// await using var proxy = TcpProxy.Start(new TcpProxyOptions { Upstream = new IPEndPoint(IPAddress.Loopback, 6379) });
/// await proxy.AddToxicAsync(new LatencyToxic { Latency = TimeSpan.FromMilliseconds(200) });
/// // clients connect to proxy.EndPoint
/// </code>
/// </example>
public sealed class TcpProxy : IAsyncDisposable, IDisposable
{
    private readonly TcpProxyOptions _options;
    private readonly EventLoop _loop;
    private readonly Dialer _dialer;
    private readonly ConcurrentDictionary<long, ProxyLink> _links = new();
    private readonly ProxyCounters _counters = new();
    private readonly Lock _gate = new();                   // serializes changes to the toxic list and the state
    private Toxic[] _toxics = [];                          // replaced whole under _gate; read without a lock
    private Task _listenerChange = Task.CompletedTask;     // under _gate: the latest pause/resume; each waits for the one before
    private bool _listenerPaused;                          // written by the listener changes, one at a time
    private int _state;                                    // ProxyState.Running, Stopping or Stopped
    private Task? _stopped;                                // under _gate

    private TcpProxy(TcpProxyOptions options)
    {
        _options = options;
        ConnectionOptions connection = options.Connection with { ReadTimeout = TimeSpan.Zero };
        // The dialer's own poller never serves a connection (below), so on Linux it idles on epoll whatever the proxy
        // runs on: on io_uring it would hold a ring and its receive-buffer slab (16 MiB by default) for nothing.
        PollerBackendKind idle = OperatingSystem.IsLinux() ? PollerBackendKind.Epoll : PollerBackendKind.Auto;
        // Nor does it appear on the meter: the upstreams count on the proxy's pollers, under the proxy's name, and an
        // owner "<name>-upstream" would report 0 connections while they are open.
        var dialerOptions = new DialerOptions
        {
            Name = $"{options.Name}-upstream", Pollers = 1, Backend = idle, DialTimeout = options.DialTimeout, Connection = connection, Tls = options.UpstreamTls,
            PublishesMetrics = false,
        };
        var loopOptions = new EventLoopOptions { Name = options.Name, Backend = options.Backend, Connection = connection, Tls = options.Tls };
        if (options.Pollers > 0)
        {
            loopOptions = loopOptions with { Pollers = options.Pollers };
        }

        // Each upstream is dialed onto its client's poller (ConnectAlongsideAsync): one thread serves a
        // pair, so forwarding never wakes another thread.
        _loop = new EventLoop(new ClientHandler(this), loopOptions);
        _dialer = new Dialer(dialerOptions);
    }

    public string Name => _options.Name;

    /// <summary>Where clients connect (the real port when port 0 was asked for).</summary>
    public EndPoint EndPoint { get; private set; } = null!;

    public EndPoint Upstream => _options.Upstream;

    public TcpProxyOptions Options => _options;

    /// <summary>The kernel API both sides' pollers run on (never Auto).</summary>
    public PollerBackendKind BackendInUse => _loop.BackendInUse;

    /// <summary>Why the pollers run on <see cref="BackendInUse"/>: what was asked for, what Auto chose, or why io_uring was refused.</summary>
    public string BackendReason => _loop.BackendReason;

    public ProxyState State
    {
        get
        {
            var state = (ProxyState)Volatile.Read(ref _state);
            return state == ProxyState.Running && IsFullyDown(Toxics) ? ProxyState.Down : state;
        }
    }

    /// <summary>Client connections open now.</summary>
    public int ConnectionCount => _links.Count;

    /// <summary>The toxics in effect, in the order they were added.</summary>
    public IReadOnlyList<Toxic> Toxics => Volatile.Read(ref _toxics);

    /// <summary>Binds <see cref="TcpProxyOptions.EndPoint"/> and starts forwarding; returns at once.</summary>
    /// <exception cref="System.Net.Sockets.SocketException">The address is in use or not available.</exception>
    public static TcpProxy Start(TcpProxyOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var proxy = new TcpProxy(options);
        NetpollListener listener;
        try
        {
            listener = NetpollListener.Create(options.EndPoint);
        }
        catch
        {
            proxy.StopAsync(TimeSpan.Zero).GetAwaiter().GetResult(); // never served: nothing to wait for
            throw;
        }

        proxy.EndPoint = listener.LocalEndPoint;
        _ = proxy._loop.ServeAsync(listener);
        return proxy;
    }

    /// <summary>Adds a toxic; it meets the open connections at once (each rolls its toxicity) and every new one.</summary>
    /// <exception cref="ArgumentException">The toxic is malformed, or one with its name (or a second down toxic) exists.</exception>
    public Task AddToxicAsync(Toxic toxic)
    {
        ArgumentNullException.ThrowIfNull(toxic);
        toxic.Validate();
        Task listener;
        lock (_gate)
        {
            ThrowIfStopping();
            if (Array.Exists(_toxics, t => t.Name == toxic.Name))
            {
                throw new ArgumentException($"Proxy '{Name}' already has a toxic named '{toxic.Name}': update or remove it, or give the new one another name.", nameof(toxic));
            }

            if (toxic.Type == ToxicType.Down && Array.Exists(_toxics, t => t.Type == ToxicType.Down))
            {
                throw new ArgumentException($"Proxy '{Name}' already has a down toxic: update or remove it.", nameof(toxic));
            }

            Volatile.Write(ref _toxics, [.. _toxics, toxic]);
            listener = ChangeListener();
        }

        return OnToxicsChangedAsync(listener);
    }

    /// <summary>Replaces the toxic with <paramref name="toxic"/>'s name; open connections roll its toxicity again (as toxiproxy does).</summary>
    /// <exception cref="ArgumentException">The toxic is malformed, none has its name, or its type differs.</exception>
    public Task UpdateToxicAsync(Toxic toxic)
    {
        ArgumentNullException.ThrowIfNull(toxic);
        toxic.Validate();
        Task listener;
        lock (_gate)
        {
            ThrowIfStopping();
            int index = Array.FindIndex(_toxics, t => t.Name == toxic.Name);
            if (index < 0)
            {
                throw new ArgumentException($"Proxy '{Name}' has no toxic named '{toxic.Name}'. Its toxics: {Describe(_toxics)}.", nameof(toxic));
            }

            if (_toxics[index].Type != toxic.Type)
            {
                throw new ArgumentException($"Toxic '{toxic.Name}' is a {_toxics[index].TypeName} toxic and cannot become {toxic.TypeName}: remove it and add a new one.", nameof(toxic));
            }

            Toxic[] next = [.. _toxics];
            next[index] = toxic;
            Volatile.Write(ref _toxics, next);
            listener = ChangeListener();
        }

        return OnToxicsChangedAsync(listener);
    }

    /// <summary>Removes the toxic named <paramref name="name"/>; what it held back goes out at once. False when there is none.</summary>
    public async Task<bool> RemoveToxicAsync(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        Task listener;
        lock (_gate)
        {
            ThrowIfStopping();
            if (!Array.Exists(_toxics, t => t.Name == name))
            {
                return false;
            }

            Volatile.Write(ref _toxics, Array.FindAll(_toxics, t => t.Name != name));
            listener = ChangeListener();
        }

        await OnToxicsChangedAsync(listener).ConfigureAwait(false);
        return true;
    }

    /// <summary>The proxy's own counters: connections by how they ended, toxics applied, bytes each way.</summary>
    public TcpProxyStats GetStats()
    {
        long up = _counters.BytesUpstream;
        long down = _counters.BytesDownstream;
        foreach (ProxyLink link in _links.Values)
        {
            up += link.Up.Bytes;
            down += link.Down.Bytes;
        }

        return new TcpProxyStats
        {
            Name = Name,
            Timestamp = DateTimeOffset.UtcNow,
            Accepted = _counters.Accepted,
            Active = _links.Count,
            Closed = _counters.Closed(),
            ToxicsApplied = _counters.ToxicsApplied(),
            BytesUpstream = up,
            BytesDownstream = down,
        };
    }

    /// <summary>The counters of the pollers: they serve both sides (each upstream runs on its client's poller).</summary>
    public IReadOnlyList<PollerStats> GetPollerStats() => _loop.GetStats();

    /// <summary>Memory held by both sides' buffer pools.</summary>
    public BufferPoolStatistics GetBufferStatistics()
    {
        BufferPoolStatistics clients = _loop.GetBufferStatistics();
        BufferPoolStatistics upstreams = _dialer.GetBufferStatistics();
        return new BufferPoolStatistics(
            clients.RentedBlocks + upstreams.RentedBlocks,
            clients.RentedBytes + upstreams.RentedBytes,
            clients.RetainedBytes + upstreams.RetainedBytes,
            clients.AllocatedBlocks + upstreams.AllocatedBlocks,
            clients.TrimmedBlocks + upstreams.TrimmedBlocks);
    }

    /// <summary>
    /// Stops accepting, closes every connection (FIN both ways; what toxics held is dropped), then stops
    /// the pollers; whatever is still open after <paramref name="timeout"/> is reset.
    /// </summary>
    public Task StopAsync(TimeSpan timeout)
    {
        if (timeout < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(timeout), timeout, "The stop timeout must be zero or positive.");
        }

        lock (_gate)
        {
            if (_stopped is null)
            {
                Volatile.Write(ref _state, (int)ProxyState.Stopping);
                _stopped = StopCoreAsync(timeout);
            }

            return _stopped;
        }
    }

    public ValueTask DisposeAsync() => new(StopAsync(TimeSpan.FromSeconds(5)));

    /// <summary>Synchronous <see cref="DisposeAsync"/>, for code that cannot await; blocks the calling thread.</summary>
    public void Dispose() => StopAsync(TimeSpan.FromSeconds(5)).GetAwaiter().GetResult();

    internal Task<Connection> DialAsync(ProxyLink link) => _dialer.ConnectAlongsideAsync(link.Client, _options.Upstream, link, _options.DialTimeout);

    /// <summary>Rolls <paramref name="toxic"/>'s toxicity for one connection (or direction); counts it when it applies.</summary>
    internal bool Roll(Toxic toxic)
    {
        bool applies = toxic.Toxicity >= 1 || (toxic.Toxicity > 0 && Random.Shared.NextDouble() < toxic.Toxicity);
        if (applies)
        {
            _counters.CountToxicApplied(toxic.Name);
        }

        return applies;
    }

    /// <summary>
    /// A client was accepted (poller, before any TLS handshake): counted, and watched so that one closed before it was
    /// handed on (<see cref="OnClientAsync"/> marks it) is counted closed too: every accepted client ends with one cause.
    /// </summary>
    internal void OnClientAccepted(Connection client)
    {
        _counters.CountAccepted();
        client.AddCloseCallback(c =>
        {
            if (c.Context is null)
            {
                // Never handed on: its TLS handshake failed (plain bytes to this TLS port), timed out, or it left first.
                _counters.CountClosed(_options.Tls is not null ? ProxyCloseCause.TlsHandshakeFailed : ProxyCloseCause.ClientReset);
            }
        });
    }

    /// <summary>A client connection registered: refuse it if down, else link it to a new upstream connection.</summary>
    internal ValueTask OnClientAsync(Connection client)
    {
        client.Context = HandedOn; // its end is counted from here on (below, or by its link)
        if (Volatile.Read(ref _state) != (int)ProxyState.Running)
        {
            client.Close();
            _counters.CountClosed(ProxyCloseCause.Shutdown);
            return default;
        }

        Toxic? down = Toxics.FirstOrDefault(t => t.Type == ToxicType.Down);
        if (down is not null && Roll(down))
        {
            client.Abort();
            _counters.CountClosed(ProxyCloseCause.Down);
            return default;
        }

        var link = new ProxyLink(this, client, down);
        _links[client.Id] = link;
        link.SyncToxics();
        if (Volatile.Read(ref _state) != (int)ProxyState.Running)
        {
            link.End(ProxyCloseCause.Shutdown, resetClient: false, resetUpstream: false); // StopAsync may have missed it
        }

        return link.RunClientAsync();
    }

    /// <summary>What a client's <see cref="Connection.Context"/> holds once it was handed on, whose end is then counted where it ends.</summary>
    private static readonly object HandedOn = new();

    internal void OnLinkEnded(ProxyLink link, ProxyCloseCause cause)
    {
        _links.TryRemove(link.Client.Id, out _);
        _counters.CountClosed(cause);
        _counters.AddBytes(link.Up.Bytes, link.Down.Bytes);
    }

    private static bool IsFullyDown(IReadOnlyList<Toxic> toxics) => toxics.Any(t => t.Type == ToxicType.Down && t.Toxicity >= 1);

    private static string Describe(Toxic[] toxics) => toxics.Length == 0 ? "none" : string.Join(", ", toxics.Select(t => $"{t.Name} ({t.TypeName})"));

    private void ThrowIfStopping()
    {
        if (Volatile.Read(ref _state) != (int)ProxyState.Running)
        {
            throw new InvalidOperationException($"Proxy '{Name}' is stopping or stopped; its toxics can no longer change.");
        }
    }

    /// <summary>Queues a listener change after the ones before it (under the gate): pause when fully down, else resume.</summary>
    private Task ChangeListener() => _listenerChange = ApplyListenerAsync(_listenerChange);

    private async Task ApplyListenerAsync(Task previous)
    {
        try
        {
            await previous.ConfigureAwait(false);
        }
        catch (System.Net.Sockets.SocketException)
        {
            // reported to the caller that made that change
        }

        bool down = IsFullyDown(Toxics);
        if (down != _listenerPaused && Volatile.Read(ref _state) == (int)ProxyState.Running)
        {
            await (down ? _loop.PauseAcceptingAsync() : _loop.ResumeAcceptingAsync()).ConfigureAwait(false);
            _listenerPaused = down;
        }
    }

    /// <summary>The listener first (a down proxy refuses before it resets), then every open connection.</summary>
    private async Task OnToxicsChangedAsync(Task listener)
    {
        try
        {
            await listener.ConfigureAwait(false);
        }
        finally
        {
            foreach (ProxyLink link in _links.Values)
            {
                link.SyncToxics();
            }
        }
    }

    private async Task StopCoreAsync(TimeSpan timeout)
    {
        foreach (ProxyLink link in _links.Values)
        {
            link.End(ProxyCloseCause.Shutdown, resetClient: false, resetUpstream: false);
        }

        // The dialer first: its connections run on the loop's pollers, which the loop's shutdown stops.
        await _dialer.DisposeAsync().ConfigureAwait(false);
        await _loop.ShutdownAsync(timeout).ConfigureAwait(false);
        Volatile.Write(ref _state, (int)ProxyState.Stopped);
    }
}
