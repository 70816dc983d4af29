using Netpoll.Buffers;

namespace Netpoll.Connections;

/// <summary>
/// A transform between the socket's bytes and the bytes a connection's reader and writer see (TLS is one:
/// <c>Netpoll.Tls</c> implements it; this layer does not know it). Two raw buffers sit beside the connection's
/// input and output: the transport reads into the raw input and sends from the raw output, exactly as it reads
/// into the input and sends from the output of a plain connection. They live here, with the connection's other
/// transform state, so a plain connection carries none of it (one null field).
/// </summary>
/// <remarks>
/// <para>Threads: <see cref="Start"/>, <see cref="Decode"/>, <see cref="WriteClose"/> and
/// <see cref="HandshakeEnded"/> run on the poller thread; <see cref="Encode"/> on the thread that owns the
/// flush (a handler's, or the poller's). The transform serializes its own state between the two; the poller
/// side never waits for the flush side (<see cref="TransformStatus.Busy"/> instead).</para>
/// <para>Until the handshake completes, the connection holds its first handler call (OnConnect) back, and
/// a dialed connection is not handed to its caller. A handshake deadline on the poller's timer wheel bounds
/// it.</para>
/// </remarks>
internal abstract class ConnectionTransform
{
    // The connection's state for its transform: set and used by Connection only (Connection.Transform.cs).

    /// <summary>Writer side: the poller's socket reads; reader side: the poller's decode. Set by <see cref="AttachBuffers"/>.</summary>
    internal LinkBuffer RawInput { get; private set; } = null!;

    /// <summary>Writer side: decode and encode, serialized by the transform; reader side: the flush owner. Set by <see cref="AttachBuffers"/>.</summary>
    internal LinkBuffer RawOutput { get; private set; } = null!;

    /// <summary>Poller: a decode found the transform busy and runs again on the next poller task.</summary>
    internal bool DecodePending;

    /// <summary>Any thread sets it (<see cref="Connection.CompleteHandshake"/>), a poller task takes it: the verdict on the peer.</summary>
    internal int VerdictPending;

    /// <summary>The connection's constructor, once: the raw buffers, from the connection's pool.</summary>
    internal void AttachBuffers(BufferPool pool)
    {
        RawInput = new LinkBuffer(pool);
        RawOutput = new LinkBuffer(pool);
    }

    /// <summary>How long the handshake may take from registration; zero: no limit.</summary>
    public abstract TimeSpan HandshakeTimeout { get; }

    /// <summary>Poller, once, at registration: bind to <paramref name="connection"/> and write the first flight (a client's hello) into <paramref name="rawOutput"/>.</summary>
    public abstract TransformStatus Start(Connection connection, LinkBuffer rawOutput);

    /// <summary>
    /// Poller: consumes the raw input, appends plaintext to <paramref name="plaintext"/> (its writer side) and
    /// says how many bytes in <paramref name="produced"/>; may write handshake or alert bytes to <paramref name="rawOutput"/>.
    /// </summary>
    public abstract TransformStatus Decode(LinkBuffer rawInput, LinkBuffer plaintext, LinkBuffer rawOutput, out int produced);

    /// <summary>Flush owner, after the handshake: moves plaintext into raw output until the plaintext is gone or the raw output holds <paramref name="budget"/> bytes. False: it failed for good, or the write side is shut (the plaintext is dropped and the connection closes). True also when the protocol discards it (after a TLS 1.2 peer's close_notify).</summary>
    public abstract bool Encode(LinkBuffer plaintext, LinkBuffer rawOutput, int budget);

    /// <summary>Poller, close path, owning the flush, graceful close of an established connection: the closing bytes (TLS close_notify), if they were not written yet.</summary>
    public abstract void WriteClose(LinkBuffer rawOutput);

    /// <summary>
    /// Flush owner, half-close (<see cref="Connection.ShutdownSend"/>) after the last plaintext was encoded: the closing
    /// bytes of the write side (TLS close_notify), once. Decoding goes on: the peer may still send. Nothing may be encoded after.
    /// </summary>
    public abstract void WriteShutdown(LinkBuffer rawOutput);

    /// <summary>
    /// Poller, close path, when the handshake never completed: counts the failure (by the transform's own
    /// reason, else by <paramref name="closeReason"/>) and returns the error for whoever waits for the connection to open.
    /// </summary>
    public abstract Exception HandshakeEnded(CloseReason closeReason);

    /// <summary>Why decoding failed (<see cref="TransformStatus.Failed"/>), for the error a reader gets; null until it did. Any thread.</summary>
    public abstract string? FailureMessage { get; }

    /// <summary>Frees native state. Called once, when nothing can use the transform any more (with the buffers).</summary>
    public abstract void Release();
}

/// <summary>What <see cref="ConnectionTransform.Decode"/> (or Start) leaves the connection in.</summary>
internal enum TransformStatus
{
    /// <summary>The handshake needs more bytes from the peer.</summary>
    Handshaking,

    /// <summary>The handshake is done and the transform checks the peer off the poller; it calls <see cref="Connection.CompleteHandshake"/> when it knows.</summary>
    Verifying,

    /// <summary>The handshake is done and verified: plaintext flows.</summary>
    Open,

    /// <summary>The peer ended the stream inside the transform (TLS close_notify): no more input will come.</summary>
    PeerClosed,

    /// <summary>
    /// Bad bytes or a rejected peer (the transform recorded why). During the handshake the connection closes; after
    /// it, plaintext decoded before the bad bytes is still produced and handed over, then the connection closes.
    /// </summary>
    Failed,

    /// <summary>The flush side holds the transform right now: try again on the next poller turn.</summary>
    Busy,
}
