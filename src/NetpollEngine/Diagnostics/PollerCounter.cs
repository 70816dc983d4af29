namespace Netpoll.Diagnostics;

/// <summary>
/// The counters every poller keeps, each declared once, here: its name, and how the <c>Netpoll</c> meter
/// reports it. The storage (PollerCounters), the snapshot (<see cref="PollerStats"/>) and the meter read
/// this list, so adding a counter is one member here (plus, if users should see it by name, a view:
/// a PollerStats property or a column in the module's output).
/// </summary>
/// <remarks>
/// Instrument names, units and attributes follow the OpenTelemetry semantic-convention naming rules:
/// UpDownCounters are not pluralized, counts of things are pluralized with a <c>{curly}</c> unit,
/// <c>*.io</c> carries <c>network.io.direction</c>, <c>*.time</c> a state, <c>*.used</c> is an amount
/// with no known limit. Counters sharing an instrument differ by its attribute.
/// </remarks>
public enum PollerCounter
{
    /// <summary>Connections registered on the poller now.</summary>
    [Instrument("netpoll.connection.active", "{connection}", "Connections registered on a poller.", UpDown = true)]
    Connections,

    /// <summary>Connections accepted by listeners on this poller and handed to a poller to serve (not those shed or rejected).</summary>
    [Instrument("netpoll.connection.accepted", "{connection}", "Connections accepted.")]
    Accepted,

    /// <summary>Connections closed on this poller.</summary>
    [Instrument("netpoll.connection.closed", "{connection}", "Connections closed.")]
    Closed,

    /// <summary>epoll_wait/kevent/io_uring_enter calls of the loop (one per turn).</summary>
    [Instrument("netpoll.poller.waits", "{wait}", "epoll_wait/kevent/io_uring_enter calls of the loop.")]
    Waits,

    /// <summary>Readiness events or io_uring completions handled.</summary>
    [Instrument("netpoll.poller.events", "{event}", "Readiness events or io_uring completions handled.")]
    Events,

    /// <summary>Waits interrupted by another thread.</summary>
    [Instrument("netpoll.poller.wakeups", "{wakeup}", "Waits interrupted by another thread.")]
    Wakeups,

    /// <summary>Bytes read from sockets.</summary>
    [Instrument("netpoll.io", "By", "Bytes moved through sockets, by network.io.direction.", Attribute = "network.io.direction", Value = "receive")]
    BytesIn,

    /// <summary>Bytes written to sockets (any thread: flushes run on the caller's).</summary>
    [Instrument("netpoll.io", "By", "Bytes moved through sockets, by network.io.direction.", Attribute = "network.io.direction", Value = "transmit")]
    BytesOut,

    /// <summary>read calls.</summary>
    [Instrument("netpoll.syscalls", "{syscall}", "read and sendmsg calls, by network.io.direction.", Attribute = "network.io.direction", Value = "receive")]
    ReadCalls,

    /// <summary>sendmsg calls (any thread).</summary>
    [Instrument("netpoll.syscalls", "{syscall}", "read and sendmsg calls, by network.io.direction.", Attribute = "network.io.direction", Value = "transmit")]
    WriteCalls,

    /// <summary>Flushes that had to wait for the socket to drain (any thread).</summary>
    [Instrument("netpoll.flush.waited", "{flush}", "Flushes that had to wait for the socket to drain.")]
    WaitedFlushes,

    /// <summary>Connections whose reading is paused by backpressure now (any thread).</summary>
    [Instrument("netpoll.connection.paused", "{connection}", "Connections whose reading is paused by backpressure.", UpDown = true)]
    Paused,

    /// <summary>Input bytes buffered and not yet read by handlers: derived when read, never counted on the hot path.</summary>
    [Instrument("netpoll.buffer.used", "By", "Input bytes buffered and not yet read by handlers.", UpDown = true)]
    BufferBytes,

    /// <summary>Times accept paused because fds (or memory) ran out.</summary>
    [Instrument("netpoll.accept.backoffs", "{backoff}", "Times accept paused because fds ran out.")]
    AcceptBackoffs,

    /// <summary>Idle, read, write and handshake deadlines that fired.</summary>
    [Instrument("netpoll.timeouts", "{timeout}", "Idle, read, write and handshake deadlines that fired.")]
    Timeouts,

    /// <summary>Stopwatch ticks the poller thread spent working.</summary>
    [Instrument("netpoll.poller.time", "s", "Time poller threads spent working (netpoll.poller.state busy) and waiting for events (wait).", Attribute = "netpoll.poller.state", Value = "busy", StopwatchTicks = true)]
    BusyTicks,

    /// <summary>Stopwatch ticks the poller thread spent waiting for events, a wait in progress included.</summary>
    [Instrument("netpoll.poller.time", "s", "Time poller threads spent working (netpoll.poller.state busy) and waiting for events (wait).", Attribute = "netpoll.poller.state", Value = "wait", StopwatchTicks = true)]
    WaitTicks,

    /// <summary>Bytes of the poller's io_uring receive buffers that connections hold (0 on epoll and kqueue): derived when read.</summary>
    [Instrument("netpoll.receive_ring.used", "By", "Bytes of io_uring receive-ring buffers held by connections.", UpDown = true)]
    ReceiveRingBytes,

    /// <summary>Receives that found the io_uring receive ring empty and had to wait for buffers to come back.</summary>
    [Instrument("netpoll.receive_ring.exhausted", "{receive}", "Receives that found the io_uring receive ring empty.")]
    ReceiveRingExhausted,

    // New counters go last: the values are public and stay put.

    /// <summary>TLS handshakes completed in full (a new session) (any thread: counted with Interlocked).</summary>
    [Instrument("netpoll.tls.handshakes", "{handshake}", "TLS handshakes completed, by tls.resumed.", Attribute = "tls.resumed", Value = "false")]
    TlsHandshakes,

    /// <summary>TLS handshakes completed by resuming a session (a ticket) (any thread: counted with Interlocked).</summary>
    [Instrument("netpoll.tls.handshakes", "{handshake}", "TLS handshakes completed, by tls.resumed.", Attribute = "tls.resumed", Value = "true")]
    TlsResumedHandshakes,

    /// <summary>TLS handshakes failed on bytes that are not TLS or a protocol error (no common version or cipher, an alert) (any thread: counted with Interlocked).</summary>
    [Instrument("netpoll.tls.handshake.failures", "{handshake}", "TLS handshakes that failed, by error.type.", Attribute = "error.type", Value = "protocol")]
    TlsFailedProtocol,

    /// <summary>TLS handshakes failed because a certificate was rejected (the peer's by this side, or this side's by the peer) or a required one was missing (any thread: counted with Interlocked).</summary>
    [Instrument("netpoll.tls.handshake.failures", "{handshake}", "TLS handshakes that failed, by error.type.", Attribute = "error.type", Value = "certificate")]
    TlsFailedCertificate,

    /// <summary>TLS handshakes refused because the client asked for a host name (SNI) the server has no certificate for (any thread: counted with Interlocked).</summary>
    [Instrument("netpoll.tls.handshake.failures", "{handshake}", "TLS handshakes that failed, by error.type.", Attribute = "error.type", Value = "unknown_host_name")]
    TlsFailedUnknownHostName,

    /// <summary>TLS handshakes cut short: the peer closed or reset the connection mid-handshake; a client that closes before sending a byte (a TCP probe) is not counted (any thread: counted with Interlocked).</summary>
    [Instrument("netpoll.tls.handshake.failures", "{handshake}", "TLS handshakes that failed, by error.type.", Attribute = "error.type", Value = "peer_closed")]
    TlsFailedPeerClosed,

    /// <summary>TLS handshakes that did not complete within the handshake deadline (any thread: counted with Interlocked).</summary>
    [Instrument("netpoll.tls.handshake.failures", "{handshake}", "TLS handshakes that failed, by error.type.", Attribute = "error.type", Value = "timeout")]
    TlsFailedTimeout,

    /// <summary>Connections accepted and reset at once because the process was out of fds (see the README's fd-exhaustion section).</summary>
    [Instrument("netpoll.connection.shed", "{connection}", "Connections accepted and reset at once because the process was out of fds.")]
    AcceptsShed,

    /// <summary>Connections accepted and reset at once because the server had its MaxConnections open; not in Accepted, so Accepted − Closed is what is open (Connections) once hand-offs between pollers have landed.</summary>
    [Instrument("netpoll.connection.rejected", "{connection}", "Connections accepted and reset at once because the server was at its connection limit.")]
    AcceptsRejected,
}
