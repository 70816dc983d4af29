namespace Netpoll.Connections;

/// <summary>
/// What a server (or a dialed connection) does, in netpoll's callback order:
/// OnPrepare → OnConnectAsync → OnRequestAsync (each time input arrives) → OnDisconnect → close callbacks.
/// </summary>
/// <remarks>
/// The dispatch contract: <see cref="OnRequestAsync"/> runs when unread input exists and no call of it
/// is running for that connection; never twice at once. When it returns with input still unread, it is
/// called again only if it consumed something or new bytes arrived meanwhile; otherwise the next call
/// waits for more bytes. A handler that leaves input unread therefore never spins. Views from the
/// reader stay valid until the call that obtained them returns (input is released after each call).
/// </remarks>
public abstract class ConnectionHandler
{
    /// <summary>
    /// True when every callback returns quickly and never blocks its thread (no synchronous I/O, no waiting
    /// on locks or tasks, no sleeping). With <see cref="DispatchMode.Auto"/>, the default, such a handler runs
    /// inline on the poller thread and saves a thread hand-off per wake; any other runs on the ThreadPool.
    /// Declaring it falsely stalls every connection of that poller while one call blocks.
    /// </summary>
    public virtual bool NeverBlocks => false;

    /// <summary>
    /// On the poller thread, right after accept (a dialed connection: as soon as its TCP connect completed, before any
    /// TLS handshake) and before registration. Keep it short. If it throws, the connection is closed
    /// (<see cref="CloseReason.HandlerError"/>); a dialer's connect then fails with what it threw. One that closes the
    /// connection itself fails a dialer's connect with <see cref="ConnectionClosedException"/>.
    /// </summary>
    public virtual void OnPrepare(Connection connection)
    {
    }

    /// <summary>Once, after registration and before the first <see cref="OnRequestAsync"/>.</summary>
    public virtual ValueTask OnConnectAsync(Connection connection) => default;

    /// <summary>Input has arrived: read it through <see cref="Connection.Reader"/>, answer through <see cref="Connection.Writer"/>.</summary>
    public abstract ValueTask OnRequestAsync(Connection connection);

    /// <summary>
    /// The request deadline set with <see cref="Connection.SetRequestDeadline"/> passed. Runs on the poller
    /// thread, possibly while an <see cref="OnRequestAsync"/> call runs elsewhere: keep it short and
    /// synchronize with that call. Write a last answer (an HTTP 408) if there is one to give and return
    /// true: the connection sends it and closes with <see cref="CloseReason.RequestTimeout"/>. Return
    /// false to keep the connection (after moving or clearing the deadline). The default closes.
    /// </summary>
    public virtual bool OnRequestDeadline(Connection connection) => true;

    /// <summary>
    /// The peer closed or reset the connection (not called for closes this side started); before the close callbacks.
    /// An inline handler (see <see cref="NeverBlocks"/>) gets it on the poller thread, any other on the ThreadPool.
    /// </summary>
    public virtual void OnDisconnect(Connection connection)
    {
    }

    /// <summary>
    /// A TLS server's client sent, where its first TLS record belongs, bytes that are not a TLS handshake record: a
    /// client speaking the protocol in the clear (plain HTTP sent to an HTTPS port). <paramref name="firstBytes"/> are
    /// the first five (a TLS record header's size). Return what to send back in the clear before the connection
    /// closes (HTTP's 400, as nginx answers), or nothing (the default) when the bytes are not this protocol's: the
    /// connection then closes without a word. Either way the handshake counts as a failure (protocol). Runs on the
    /// poller thread, before <see cref="OnConnectAsync"/> (which never runs for this connection): keep it short.
    /// </summary>
    public virtual ReadOnlyMemory<byte> AnswerPlaintextOnTls(ReadOnlySpan<byte> firstBytes) => default;
}
