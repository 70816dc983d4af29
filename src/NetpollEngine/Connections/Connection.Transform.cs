using Netpoll.Buffers;
using Netpoll.Diagnostics;

namespace Netpoll.Connections;

/// <summary>
/// A transform (TLS) between the socket and the buffers handlers see. The transport moves raw bytes:
/// it reads into <see cref="SocketInput"/> and sends from <see cref="SocketOutput"/>, which are the input
/// and output themselves on a plain connection and the raw buffers with a transform. After each read the
/// poller decodes raw input into plaintext input; before each send the flush owner encodes plaintext output
/// into raw output. Until the transform's handshake completes, OnConnect and a dialer's caller wait.
/// </summary>
public sealed partial class Connection
{
    /// <summary>Raw output is encrypted ahead of the socket by at most about this much per flush turn.</summary>
    private const int EncodeBudget = 256 * 1024;

    private const int VerdictNone = 0;
    private const int VerdictAccepted = 1;
    private const int VerdictRejected = 2;

    /// <summary>Where the transport puts the bytes it reads: the raw input with a transform, else the input.</summary>
    private LinkBuffer SocketInput => _transform is null ? _input : _transform.RawInput;

    /// <summary>What the transport sends: the raw output with a transform, else the output.</summary>
    private LinkBuffer SocketOutput => _transform is null ? _output : _transform.RawOutput;

    /// <summary>Bytes written and not yet sent, plaintext and raw (for backpressure, idleness and the write deadline).</summary>
    private int UnsentBytes => _transform is null ? PendingOutput : _output.Length + PendingOutput;

    /// <summary>Whether a flush has anything to give the socket now: raw output, or plaintext the transform can encode (after the handshake).</summary>
    private bool HasOutputToSend =>
        _transform is null ? _output.Length > 0 : _transform.RawOutput.Length > 0 || (_output.Length > 0 && !_lifecycle.IsHandshaking);

    /// <summary>The transform (TLS) of this connection, or null for a plain one.</summary>
    internal ConnectionTransform? Transform => _transform;

    /// <summary>The server's or dialer's name, for the transform's events.</summary>
    internal string OwnerName => _host.Name;

    /// <summary>A counter of this connection's poller, for the transform to bump with Interlocked (from the poller, or from its verifier's thread).</summary>
    internal ref long Counter(PollerCounter counter) => ref Poller.Counters[counter];

    /// <summary>
    /// The transform found plain text where its first record belongs (<see cref="ConnectionHandler.AnswerPlaintextOnTls"/>):
    /// what the handler answers in the clear, or nothing. A handler that throws answers nothing. Poller thread.
    /// </summary>
    internal ReadOnlyMemory<byte> AnswerPlaintext(ReadOnlySpan<byte> firstBytes)
    {
        try
        {
            return _handler?.AnswerPlaintextOnTls(firstBytes) ?? default;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            System.Diagnostics.Trace.TraceWarning($"netpoll: AnswerPlaintextOnTls failed on connection {Id}, closing without an answer: {ex.Message}");
            return default;
        }
    }

    /// <summary>
    /// The transform finished verifying the peer off the poller (<see cref="TransformStatus.Verifying"/>): the
    /// poller opens the connection, or closes it with <see cref="CloseReason.HandshakeFailed"/>. Any thread; once.
    /// </summary>
    internal void CompleteHandshake(bool accepted)
    {
        Volatile.Write(ref _transform!.VerdictPending, accepted ? VerdictAccepted : VerdictRejected);
        QueuePollerTask();
    }

    /// <summary>At registration, for a connection with a transform: hold OnConnect, arm the handshake deadline, send the first flight. Poller thread.</summary>
    private void BeginTransform()
    {
        _lifecycle.BeginHandshake();
        if (_handler is not null)
        {
            _lifecycle.HoldDispatch();
        }

        long timeoutMs = (long)_transform!.HandshakeTimeout.TotalMilliseconds;
        if (timeoutMs > 0)
        {
            _deadlines.SetHandshake(Environment.TickCount64 + timeoutMs);
        }

        OnTransformed(_transform.Start(this, _transform.RawOutput), 0);
    }

    /// <summary>Raw bytes were read: decode them into the input. Poller thread.</summary>
    private void DecodeInput()
    {
        ConnectionTransform transform = _transform!;
        TransformStatus status = transform.Decode(transform.RawInput, _input, transform.RawOutput, out int produced);
        OnTransformed(status, produced);
    }

    /// <summary>Poller-task work of a transform: a verdict from off the poller, a decode that found the transform busy. Poller thread.</summary>
    private void RunTransformTasks()
    {
        ConnectionTransform transform = _transform!;
        int verdict = Interlocked.Exchange(ref transform.VerdictPending, VerdictNone);
        if (verdict != VerdictNone && _lifecycle.IsHandshaking)
        {
            if (verdict == VerdictRejected)
            {
                CloseOnPoller(CloseReason.HandshakeFailed, 0);
                return;
            }

            OpenAfterHandshake();
        }

        if (transform.DecodePending && !_lifecycle.IsClosing)
        {
            transform.DecodePending = false;
            DecodeInput();
        }
    }

    /// <summary>Acts on what the transform did: send what it wrote, publish plaintext, open, or close. Poller thread.</summary>
    private void OnTransformed(TransformStatus status, int produced)
    {
        if (status == TransformStatus.Busy)
        {
            _transform!.DecodePending = true; // the raw bytes wait in the raw input; no new read event may come for them
            QueuePollerTaskNextTurn(); // not now: the flusher holds the transform, and the poller must not spin on it
            return;
        }

        if (_transform!.RawOutput.Length > 0)
        {
            TryWriteNow(); // handshake flights, alerts, session tickets
        }

        if (status == TransformStatus.Failed)
        {
            if (_lifecycle.IsHandshaking)
            {
                CloseOnPoller(CloseReason.HandshakeFailed, 0); // nothing was opened to hand over
                return;
            }

            if (_lifecycle.IsPeerClosed)
            {
                return; // the input ended at earlier bad bytes: what a ring receive still delivers after them is dropped
            }

            if (_lifecycle.IsCloseRequested)
            {
                CloseOnPoller(CloseReason.Error, 0); // a close already asked for ends now: nothing more can be sent
                return;
            }

            // Otherwise what was decoded before the bad bytes is handed over below, then the input ends in error.
        }

        if (produced > 0)
        {
            Interlocked.Add(ref _received, produced);
        }

        if (_lifecycle.IsHandshaking)
        {
            if (status is TransformStatus.Open or TransformStatus.PeerClosed)
            {
                OpenAfterHandshake(); // the handler's first calls see what was decoded with the handshake
            }
        }
        else if (produced > 0)
        {
            WakeReader();
            TryDispatch();
        }

        if (status is TransformStatus.PeerClosed or TransformStatus.Failed && !_lifecycle.IsPeerClosed && !_lifecycle.IsClosing)
        {
            // close_notify: the peer sends nothing more. Bad bytes (a forged record, a fatal alert) end its stream too, but in
            // error: the handler still gets what was decoded before them (published above), then the close is Error.
            OnPeerClosed(failed: status == TransformStatus.Failed);
        }
    }

    /// <summary>The handshake completed (and was verified): run OnConnect, hand a dialed connection to its caller. Poller thread.</summary>
    private void OpenAfterHandshake()
    {
        _lifecycle.EndHandshake();
        _deadlines.SetHandshake(0);
        if (_output.Length > 0)
        {
            TryWriteNow(); // plaintext written before the handshake completed waited for it
        }

        if (_handler is not null)
        {
            _lifecycle.ReleaseHeldDispatch();
            StartHandler();
        }

        ReportOpened(null);
    }

    /// <summary>Flush owner: encrypts waiting plaintext into the raw output, a bounded amount ahead of the socket.</summary>
    private void EncodeOutput()
    {
        ConnectionTransform transform = _transform!;
        if (_output.Length > 0 && transform.RawOutput.Length < EncodeBudget && !_lifecycle.IsHandshaking &&
            !transform.Encode(_output, transform.RawOutput, EncodeBudget))
        {
            // Failed for good, or written after the write side was shut: the plaintext can never go, and left in
            // place it would keep every flush looping on output it cannot send.
            _output.Skip(_output.Length);
            _output.Release();
            RequestClose(CloseReason.Error);
        }
    }

    /// <summary>
    /// Flush owner, for <see cref="ShutdownSend"/> once the output drained: the transform's closing bytes (TLS
    /// close_notify) go into the raw output (the transform writes them once, and only on an established session).
    /// True when there are bytes to send before the FIN.
    /// </summary>
    private bool EncodeShutdown()
    {
        if (_transform is null)
        {
            return false;
        }

        _transform.WriteShutdown(_transform.RawOutput);
        return _transform.RawOutput.Length > 0;
    }

    /// <summary>Close path, flush owned: the last plaintext, then the transform's closing bytes (close_notify). Poller thread.</summary>
    private void EncodeClosingOutput()
    {
        if (_lifecycle.IsHandshaking)
        {
            return;
        }

        EncodeOutput();
        _transform!.WriteClose(_transform.RawOutput);
    }

    /// <summary>Tells whoever waits for the connection to open (a dialer) that it did, or why not. Poller thread; the first call only.</summary>
    private void ReportOpened(Exception? error)
    {
        Action<Connection, Exception?>? opened = OnOpened;
        if (opened is null)
        {
            return;
        }

        OnOpened = null;
        opened(this, error);
    }
}
