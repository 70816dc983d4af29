using System.Net.Security;
using System.Runtime.CompilerServices;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Netpoll.Buffers;
using Netpoll.Connections;
using Netpoll.Diagnostics;
using Netpoll.Interop;

namespace Netpoll.Tls;

/// <summary>
/// TLS on one connection: an OpenSSL SSL object whose BIO reads the connection's raw input and writes its
/// raw output (netty's SslHandler design: no socket inside OpenSSL, no extra thread, no async machinery).
/// The poller decodes (handshake, then decryption into the reader's buffer); the flush owner encodes.
/// </summary>
/// <remarks>
/// <para>One lock, <see cref="_gate"/>, guards the SSL object and every field below it: OpenSSL allows one
/// thread at a time per SSL. The poller only tries it (<see cref="TransformStatus.Busy"/> when a flush holds
/// it), so a poller thread never waits for a handler's thread. Everything here runs on the poller's CPU time
/// except encryption (the flusher's) and a user's certificate callback (a ThreadPool thread).</para>
/// <para>Nothing here allocates per record: the BIO copies between OpenSSL's record buffers and the pooled
/// LinkBuffer blocks, and decrypted bytes land in blocks reserved in the reader's buffer.</para>
/// </remarks>
internal sealed unsafe class TlsTransform : ConnectionTransform
{
    private const int PlaintextReadSize = 16 * 1024; // one TLS record
    private const int MaxWritePerCall = 64 * 1024;   // at most four records per SSL_write, so the encode budget holds
    private const int RecordHeaderSize = 5;          // type, version, length (RFC 8446 §5.1)
    private const byte HandshakeRecord = 0x16;       // the content type of a hello's record
    private const byte AlertRecord = 0x15;           // a server may refuse a ClientHello with an alert

    [ThreadStatic]
    private static TlsTransform? t_active;

    private readonly TlsContext _context;
    private readonly Lock _gate = new();
    private readonly string? _targetHost;   // client: the name checked and sent as SNI
    private readonly string? _sessionKey;   // client: where its sessions are kept for resumption

    // Under _gate.
    private nint _ssl;                      // 0 once released
    private State _state;
    private LinkBuffer? _bioInput;          // what the BIO reads during the current call
    private LinkBuffer? _bioOutput;         // what the BIO writes during the current call
    private bool _bioRetrySet;              // the BIO's retry flags are set (cleared only when they are)
    private bool _sentClose;                // our close_notify is written: nothing more may be encrypted (reading goes on)
    private bool _peerClosed;               // the peer's close_notify came: its stream has ended (TLS 1.3 keeps our side open)
    private bool _cutShort;                 // what this stream relays was cut short (CutShort): no close_notify may claim a clean end

    // Written once by the poller at handshake completion (or by the verifier), read by GetTlsInfo after.
    private Connection? _connection;
    private int _version;
    private nint _cipher;                   // a static SSL_CIPHER in libssl
    private string? _applicationProtocol;
    private bool _resumed;
    private X509Certificate2? _peerCertificate;
    private TlsConnectionInfo? _info;

    // The first failure wins: written by the poller or the verifier before the connection hears of it.
    private TlsFailure _failure;
    private string? _failureMessage;
    private int _outcomeCounted;            // Interlocked: the handshake was counted, as completed or as failed (once)
    private bool _peerSpoke;                // poller: a byte came from the peer (a connection closed before that was no handshake)
    private bool _firstRecordChecked;       // poller: the peer's first byte was looked at (a TLS record, or plain text)

    public TlsTransform(TlsContext context, nint ssl, string? targetHost = null, string? sessionKey = null)
    {
        _context = context;
        _targetHost = targetHost;
        _sessionKey = sessionKey;
        nint bio = LibCrypto.BioNew(TlsCallbacks.BioMethod);
        if (bio == 0)
        {
            throw new InvalidOperationException($"OpenSSL could not create a BIO: {TlsErrors.Last()}");
        }

        LibCrypto.BioSetInit(bio, 1);
        LibSsl.SetBio(ssl, bio, bio); // the SSL owns the BIO from here (one reference for both directions)
        _ssl = ssl;
        context.CountSession(+1);
    }

    private enum State
    {
        Handshaking,
        Verifying,
        Open,
        Closed,
        Failed,
    }

    /// <summary>The transform whose SSL call is running on this thread: how OpenSSL's callbacks find their connection.</summary>
    internal static TlsTransform? Active => t_active;

    public override TimeSpan HandshakeTimeout => _context.HandshakeTimeout;

    public override TransformStatus Start(Connection connection, LinkBuffer rawOutput)
    {
        _connection = connection;
        if (!_context.IsClient)
        {
            return TransformStatus.Handshaking; // a server waits for the ClientHello
        }

        lock (_gate)
        {
            Begin(null, rawOutput);
            try
            {
                return Handshake(); // writes the ClientHello
            }
            finally
            {
                End();
            }
        }
    }

    public override TransformStatus Decode(LinkBuffer rawInput, LinkBuffer plaintext, LinkBuffer rawOutput, out int produced)
    {
        produced = 0;
        _peerSpoke |= rawInput.Length > 0;
        if (!_gate.TryEnter())
        {
            return TransformStatus.Busy;
        }

        Begin(rawInput, rawOutput);
        try
        {
            if (_state is State.Failed or State.Closed || _peerClosed || _ssl == 0)
            {
                rawInput.Skip(rawInput.Length); // nothing can use them any more
                return _state == State.Failed ? TransformStatus.Failed : TransformStatus.PeerClosed;
            }

            if (_state == State.Handshaking)
            {
                if (!_firstRecordChecked && CheckFirstRecord(rawInput, rawOutput) is { } inTheClear)
                {
                    return inTheClear;
                }

                TransformStatus handshake = Handshake();
                if (handshake is TransformStatus.Handshaking or TransformStatus.Failed)
                {
                    return handshake;
                }
            }

            return ReadPlaintext(rawInput, plaintext, ref produced);
        }
        finally
        {
            End();
            rawInput.Release();
            _gate.Exit();
        }
    }

    public override bool Encode(LinkBuffer plaintext, LinkBuffer rawOutput, int budget)
    {
        lock (_gate)
        {
            if (_state == State.Open && !_sentClose && PeerForbidsWrites)
            {
                // A TLS 1.2 peer's close_notify: its end, not a failure of ours. What a handler still writes (an answer to
                // the request that came with it) is a pending write the RFC discards; the close stays PeerClosed and
                // sends our close_notify.
                plaintext.Skip(plaintext.Length);
                plaintext.Release();
                return true;
            }

            if (_state != State.Open || _sentClose)
            {
                // Plaintext waits for the handshake; after our close_notify nothing more can be sent.
                return _state is State.Handshaking or State.Verifying;
            }

            Begin(null, rawOutput);
            try
            {
                return WritePlaintext(plaintext, rawOutput, budget);
            }
            finally
            {
                End();
            }
        }
    }

    public override void WriteClose(LinkBuffer rawOutput)
    {
        // The close path owns the flush, so no Encode holds the gate: only GetInfo's copy or a verdict's few
        // stores can, and never for long. Waiting for them here is what lets every graceful close send close_notify.
        lock (_gate)
        {
            Begin(null, rawOutput);
            try
            {
                if (!_cutShort && EndsStreamCleanly(_connection!.CloseReason))
                {
                    SendCloseNotify();
                }

                _state = _state == State.Open ? State.Closed : _state;
            }
            finally
            {
                End();
            }
        }
    }

    public override void WriteShutdown(LinkBuffer rawOutput)
    {
        lock (_gate)
        {
            Begin(null, rawOutput);
            try
            {
                if (!_cutShort)
                {
                    SendCloseNotify(); // the state stays Open: the peer may go on sending (TLS 1.3 half-close)
                }
            }
            finally
            {
                End();
            }
        }
    }

    /// <summary>
    /// The stream this connection carries did not end by choice (a proxy's other side failed): its FIN or close goes
    /// out without close_notify, so the peer reads a truncation, as a plain TCP peer reads a reset. Call before the
    /// close or shutdown it is for; a close_notify already sent stays sent. Any thread.
    /// </summary>
    public void CutShort()
    {
        lock (_gate)
        {
            _cutShort = true;
        }
    }

    public override string? FailureMessage => Volatile.Read(ref _failureMessage);

    public override Exception HandshakeEnded(CloseReason closeReason)
    {
        TlsFailure failure = _failure != TlsFailure.None ? _failure : closeReason switch
        {
            // A server whose client closed before sending a byte saw a TCP probe (a health check, wrk's address
            // check), not a handshake; a client always spoke first.
            CloseReason.PeerClosed or CloseReason.Error when !_peerSpoke && !_context.IsClient => TlsFailure.None,
            CloseReason.PeerClosed or CloseReason.Error => TlsFailure.PeerClosed,
            CloseReason.HandshakeTimeout => TlsFailure.Timeout,
            CloseReason.HandshakeFailed => TlsFailure.Protocol,
            _ => TlsFailure.None, // this side closed it (Close, shutdown): not the handshake's failure
        };
        string message = _failureMessage ?? failure switch
        {
            TlsFailure.PeerClosed => $"{_context.PeerName} closed the connection before the handshake completed",
            TlsFailure.Timeout => $"it did not complete within {_context.HandshakeTimeout.TotalMilliseconds:0} ms",
            _ => $"the connection was closed ({closeReason}) before the handshake completed",
        };

        if (failure != TlsFailure.None && _connection is { } connection && Interlocked.Exchange(ref _outcomeCounted, 1) == 0)
        {
            Interlocked.Increment(ref connection.Counter(failure.Counter()));
            NetpollEventSource.Log.TlsHandshakeFailed(connection.OwnerName, connection.Id, failure.Name(), message);
        }

        string with = _targetHost is null ? "" : $" with {_targetHost}";
        return failure switch
        {
            TlsFailure.Timeout => new TlsHandshakeTimeoutException($"The TLS handshake{with} timed out: {message}."),
            TlsFailure.None => new ConnectionClosedException(closeReason, $"The TLS handshake{with} did not complete: {message}."),
            _ => new AuthenticationException($"The TLS handshake{with} failed: {message}."),
        };
    }

    public override void Release()
    {
        lock (_gate)
        {
            if (_ssl != 0)
            {
                if (_peerClosed)
                {
                    // A clean end, whether or not our close_notify went out: freeing the SSL must not take it for a
                    // truncated connection and spoil its session for resumption.
                    LibSsl.SetShutdown(_ssl, LibSsl.SSL_SENT_SHUTDOWN | LibSsl.SSL_RECEIVED_SHUTDOWN);
                }

                LibSsl.Free(_ssl); // frees the BIO too
                _ssl = 0;
                _context.CountSession(-1);
            }
        }
    }

    /// <summary>What was negotiated, once the handshake completed; null before.</summary>
    internal TlsConnectionInfo? GetInfo()
    {
        if (Volatile.Read(ref _info) is { } info)
        {
            return info;
        }

        lock (_gate)
        {
            if (_state is State.Handshaking or State.Verifying or State.Failed)
            {
                return null;
            }

            string? hostName = _targetHost;
            if (!_context.IsClient && _ssl != 0)
            {
                hostName = System.Runtime.InteropServices.Marshal.PtrToStringUTF8((nint)LibSsl.GetServerName(_ssl, LibSsl.TLSEXT_NAMETYPE_host_name));
            }

            // The certificate is copied out now, while the SSL is alive, and parsed only if someone asks for it.
            X509Certificate2? verified = _peerCertificate;
            byte[]? der = verified is null && _ssl != 0 ? PeerCertificate() : null;

            string cipher = _cipher == 0 ? "" : System.Runtime.InteropServices.Marshal.PtrToStringUTF8((nint)LibSsl.CipherStandardName(_cipher)) ?? "";
            info = new TlsConnectionInfo(TlsNames.FromVersion(_version), cipher, _applicationProtocol, hostName, _resumed,
                () => verified ?? (der is null ? null : X509CertificateLoader.LoadCertificate(der)));
            Volatile.Write(ref _info, info);
            return info;
        }
    }

    // ---------------------------------------------------------------- OpenSSL's callbacks (inside a call, under _gate)

    internal int BioWrite(ReadOnlySpan<byte> records)
    {
        LinkBuffer? output = _bioOutput;
        if (output is null)
        {
            return -1;
        }

        output.WriteBinary(records);
        output.Flush();
        return records.Length;
    }

    internal int BioRead(nint bio, Span<byte> destination)
    {
        LinkBuffer? input = _bioInput;
        if (input is null || input.Length == 0)
        {
            LibCrypto.BioSetFlags(bio, LibCrypto.BIO_FLAGS_READ | LibCrypto.BIO_FLAGS_SHOULD_RETRY);
            _bioRetrySet = true;
            return -1; // "would block": OpenSSL reports SSL_ERROR_WANT_READ
        }

        if (_bioRetrySet)
        {
            LibCrypto.BioClearFlags(bio, LibCrypto.BIO_FLAGS_RWS | LibCrypto.BIO_FLAGS_SHOULD_RETRY);
            _bioRetrySet = false;
        }

        return input.Read(destination);
    }

    internal bool SelectServerName(nint ssl) => _context.SelectServerName(ssl, this);

    /// <summary>Server, inside the handshake: the offset of the chosen ALPN name's length byte in <paramref name="offered"/>, or -1 after recording that none is ours.</summary>
    internal int SelectApplicationProtocol(ReadOnlySpan<byte> offered)
    {
        int at = _context.SelectApplicationProtocol(offered);
        if (at < 0)
        {
            RecordFailure(TlsFailure.Protocol,
                $"{_context.PeerName} offered the ALPN protocols {TlsNames.DescribeAlpn(offered)}, none of which this server speaks ({string.Join(", ", _context.Protocols)})");
        }

        return at;
    }

    internal bool KeepSession(nint session) => _sessionKey is not null && _context.KeepSession(_sessionKey, session);

    /// <summary>Records why the handshake failed; the first reason wins (an SNI refusal over the alert it causes).</summary>
    internal void RecordFailure(TlsFailure failure, string message)
    {
        if (_failure == TlsFailure.None)
        {
            _failureMessage = message;
            _failure = failure;
        }
    }

    // ---------------------------------------------------------------- the work (under _gate, between Begin and End)

    private void Begin(LinkBuffer? input, LinkBuffer? output)
    {
        // SSL_get_error reads this thread's error queue: only this call's errors may be in it, not what other
        // OpenSSL work on the thread left (an inline handler's crypto on the poller, .NET's own use of libcrypto).
        TlsErrors.Clear();
        _bioInput = input;
        _bioOutput = output;
        t_active = this;
    }

    private void End()
    {
        t_active = null;
        _bioInput = null;
        _bioOutput = null;
    }

    private TransformStatus Handshake()
    {
        int result = LibSsl.DoHandshake(_ssl);
        if (result != 1)
        {
            int error = LibSsl.GetError(_ssl, result);
            return error == LibSsl.SSL_ERROR_WANT_READ ? TransformStatus.Handshaking : Fail(error);
        }

        _resumed = LibSsl.SessionReused(_ssl) == 1;
        _version = LibSsl.Version(_ssl);
        _cipher = LibSsl.GetCurrentCipher(_ssl);
        byte* selected;
        uint length;
        LibSsl.GetSelectedAlpn(_ssl, &selected, &length);
        _applicationProtocol = length == 0 ? null : _context.ProtocolName(new ReadOnlySpan<byte>(selected, (int)length));

        if (_context.Validation is null)
        {
            Opened();
            return TransformStatus.Open;
        }

        // A user's callback decides: it may block, so it runs off the poller; the connection waits for its word.
        _state = State.Verifying;
        (byte[]? leaf, byte[][] chain) = PeerCertificates();
        ThreadPool.UnsafeQueueUserWorkItem(static s => s.Transform.Verify(s.Leaf, s.Chain), (Transform: this, Leaf: leaf, Chain: chain), preferLocal: false);
        return TransformStatus.Verifying;
    }

    /// <summary>
    /// Before OpenSSL sees the peer's first bytes: a first byte that is no handshake record (nor, from a server, an
    /// alert) is a peer speaking in the clear. A server's client (plain HTTP sent to an HTTPS port) may be answered in
    /// the clear by the handler, as nginx does; then the handshake fails here, with every byte the client sent dropped.
    /// A client's server (an http:// service dialed as https://) is named as such in the failure OpenSSL then reports
    /// ("wrong version number" says nothing of it). Null: carry on with the handshake (OpenSSL refuses what is not
    /// TLS, as it always did). Looks at a record header at most: never waits for more.
    /// </summary>
    private TransformStatus? CheckFirstRecord(LinkBuffer rawInput, LinkBuffer rawOutput)
    {
        if (rawInput.Length == 0)
        {
            return null;
        }

        byte type = rawInput.Peek(1).Span[0];
        if (type == HandshakeRecord || (type == AlertRecord && _context.IsClient))
        {
            _firstRecordChecked = true;
            return null;
        }

        if (rawInput.Length < RecordHeaderSize)
        {
            return TransformStatus.Handshaking; // OpenSSL would wait for the header too; the handshake deadline bounds it
        }

        _firstRecordChecked = true;
        ReadOnlySpan<byte> first = rawInput.Peek(RecordHeaderSize).Span;
        if (_context.IsClient)
        {
            RecordFailure(TlsFailure.Protocol, $"{_context.PeerName} answered in the clear, not TLS (its first bytes: {Printable(first)}), as a plain (http://) service does");
            return null;
        }

        ReadOnlyMemory<byte> answer = _connection!.AnswerPlaintext(first);
        if (answer.IsEmpty)
        {
            return null;
        }

        RecordFailure(TlsFailure.Protocol, $"{_context.PeerName} spoke in the clear, not TLS (its first bytes: {Printable(first)}), and was answered in the clear");
        rawOutput.WriteBinary(answer.Span);
        rawOutput.Flush();
        rawInput.Skip(rawInput.Length);
        _state = State.Failed;
        return TransformStatus.Failed;
    }

    /// <summary>A peer's first bytes for a message: printable ASCII as it is, anything else as \xNN.</summary>
    private static string Printable(ReadOnlySpan<byte> bytes)
    {
        var text = new System.Text.StringBuilder(bytes.Length * 4 + 2).Append('"');
        foreach (byte b in bytes)
        {
            _ = b is >= 0x20 and < 0x7F and not (byte)'"' and not (byte)'\\' ? text.Append((char)b) : text.Append($"\\x{b:X2}");
        }

        return text.Append('"').ToString();
    }

    private TransformStatus ReadPlaintext(LinkBuffer rawInput, LinkBuffer plaintext, ref int produced)
    {
        while (rawInput.Length > 0 || LibSsl.HasPending(_ssl) == 1)
        {
            PinnedSegment space = plaintext.ReserveForRead(minimum: 1024, preferred: PlaintextReadSize);
            nuint read;
            if (LibSsl.ReadEx(_ssl, space.Pointer, (nuint)space.Length, &read) == 1)
            {
                plaintext.CommitReserved((int)read);
                produced += (int)read;
                continue;
            }

            plaintext.CommitReserved(0);
            int error = LibSsl.GetError(_ssl, 0);
            if (error == LibSsl.SSL_ERROR_WANT_READ)
            {
                break; // a record is incomplete, or OpenSSL read a post-handshake message (a ticket)
            }

            if (error == LibSsl.SSL_ERROR_ZERO_RETURN)
            {
                // close_notify: the peer's stream ended cleanly. TLS 1.3 allows a half-close, so our side stays open until
                // we close it (RFC 8446 §6.1); TLS 1.2 allows no more data (RFC 5246 §7.2.1). Our close_notify goes
                // with the close this end starts (PeerClosed, at once unless a handler is still reading), not from
                // here: a peer that closes its socket with it unread resets, and that reset, arriving before the
                // connection had recorded why it closed, made a clean end an Error.
                _peerClosed = true;
                return TransformStatus.PeerClosed;
            }

            return Fail(error);
        }

        return _state == State.Verifying ? TransformStatus.Verifying : TransformStatus.Open;
    }

    [SkipLocalsInit] // the 16 KiB gather buffer is written before it is read: zeroing it on every flush is waste
    private bool WritePlaintext(LinkBuffer plaintext, LinkBuffer rawOutput, int budget)
    {
        Span<PinnedSegment> segments = stackalloc PinnedSegment[16];
        byte* gathered = stackalloc byte[PlaintextReadSize];
        while (plaintext.Length > 0 && rawOutput.Length < budget)
        {
            int count = plaintext.GetReadableSegments(segments, out _);
            byte* data = segments[0].Pointer;
            int length = Math.Min(segments[0].Length, MaxWritePerCall);
            if (count > 1 && length < PlaintextReadSize)
            {
                // Small pieces (a header and a body written apart) go out as one record, not one each.
                length = 0;
                for (int i = 0; i < count && length < PlaintextReadSize; i++)
                {
                    int take = Math.Min(segments[i].Length, PlaintextReadSize - length);
                    new ReadOnlySpan<byte>(segments[i].Pointer, take).CopyTo(new Span<byte>(gathered + length, take));
                    length += take;
                }

                data = gathered;
            }

            nuint written;
            if (LibSsl.WriteEx(_ssl, data, (nuint)length, &written) != 1)
            {
                TlsErrors.Clear();
                _state = State.Failed;
                return false; // our BIO takes every byte, so this is fatal
            }

            plaintext.Skip((int)written);
        }

        plaintext.Release();
        return true;
    }

    /// <summary>
    /// Whether a close for <paramref name="reason"/> may tell the peer our stream ended where we meant it to: close_notify
    /// says exactly that (RFC 8446 §6.1; without it a peer cannot tell a complete stream from a truncated one). A handler
    /// that threw may have stopped mid-answer, and a broken stream did not end by choice, so both close without it and the
    /// peer sees a truncation ("unexpected eof"). RFC 8446 §6.2 would have an internal_error alert instead, but OpenSSL has
    /// no public call to send one after the handshake. This layer is below any framing: nginx can send close_notify after
    /// a failed upstream and leave the truncation to HTTP's Content-Length or chunks; a protocol here may have none.
    /// </summary>
    private static bool EndsStreamCleanly(CloseReason reason) => reason is not (CloseReason.HandlerError or CloseReason.Error);

    /// <summary>A TLS 1.2 peer's close_notify ends both directions (RFC 5246 §7.2.1): what we would still write is discarded.</summary>
    private bool PeerForbidsWrites => _peerClosed && _version != LibSsl.TLS1_3_VERSION;

    /// <summary>Writes our close_notify once, on an established connection (never after a fatal error: OpenSSL forbids it).</summary>
    private void SendCloseNotify()
    {
        if (_state != State.Open || _sentClose || _ssl == 0)
        {
            return;
        }

        _sentClose = true;
        _ = LibSsl.Shutdown(_ssl); // 0: sent, the peer's not yet seen; 1: both done. Either way our side is shut.
        TlsErrors.Clear();
    }

    private TransformStatus Fail(int sslError)
    {
        (TlsFailure failure, string message) = TlsErrors.Describe(_ssl, sslError, _context.PeerName, established: _state != State.Handshaking);
        RecordFailure(failure, message);
        _state = State.Failed;
        return TransformStatus.Failed;
    }

    /// <summary>The handshake is complete and the peer accepted: count it (unless the connection already counted it as failed).</summary>
    private void Opened()
    {
        _state = State.Open;
        if (_connection is { } connection && Interlocked.Exchange(ref _outcomeCounted, 1) == 0)
        {
            Interlocked.Increment(ref connection.Counter(_resumed ? PollerCounter.TlsResumedHandshakes : PollerCounter.TlsHandshakes));
        }
    }

    /// <summary>The peer's certificate and the chain it sent, as DER, while the SSL is alive.</summary>
    private (byte[]? Leaf, byte[][] Chain) PeerCertificates()
    {
        byte[]? leaf = PeerCertificate();
        nint stack = LibSsl.GetPeerCertChain(_ssl);
        int count = stack == 0 ? 0 : LibCrypto.StackCount(stack);
        byte[][] chain = new byte[Math.Max(count, 0)][];
        for (int i = 0; i < chain.Length; i++)
        {
            chain[i] = TlsCertificates.Der(LibCrypto.StackValue(stack, i));
        }

        return (leaf, chain);
    }

    /// <summary>The peer's certificate as DER, or null when it sent none. Under _gate, while the SSL is alive.</summary>
    private byte[]? PeerCertificate()
    {
        nint peer = LibSsl.GetPeerCertificate(_ssl); // a reference of our own
        if (peer == 0)
        {
            return null;
        }

        try
        {
            return TlsCertificates.Der(peer);
        }
        finally
        {
            LibCrypto.X509Free(peer);
        }
    }

    /// <summary>ThreadPool: the user's callback decides on the peer's certificate, with what .NET's chain check found.</summary>
    private void Verify(byte[]? leafDer, byte[][] chainDers)
    {
        bool accepted = false;
        X509Certificate2? leaf = null;
        var extra = new List<X509Certificate2>(chainDers.Length);
        try
        {
            leaf = leafDer is null ? null : X509CertificateLoader.LoadCertificate(leafDer);
            using var chain = new X509Chain();
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            chain.ChainPolicy.DisableCertificateDownloads = true; // never network I/O inside a handshake
            chain.ChainPolicy.ApplicationPolicy.Add(new Oid(_context.IsClient ? "1.3.6.1.5.5.7.3.1" : "1.3.6.1.5.5.7.3.2")); // server / client auth
            foreach (byte[] der in chainDers)
            {
                X509Certificate2 certificate = X509CertificateLoader.LoadCertificate(der);
                extra.Add(certificate);
                chain.ChainPolicy.ExtraStore.Add(certificate);
            }

            if (_context.Trust is { } roots)
            {
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.AddRange(roots);
            }

            SslPolicyErrors errors = SslPolicyErrors.None;
            if (leaf is null)
            {
                errors |= SslPolicyErrors.RemoteCertificateNotAvailable;
            }
            else
            {
                if (!chain.Build(leaf))
                {
                    errors |= SslPolicyErrors.RemoteCertificateChainErrors;
                }

                if (_context.IsClient && _targetHost is not null && !leaf.MatchesHostname(_targetHost))
                {
                    errors |= SslPolicyErrors.RemoteCertificateNameMismatch;
                }
            }

            accepted = _context.Validation!(_connection!, leaf, chain, errors);
            if (!accepted)
            {
                RecordFailure(TlsFailure.Certificate, $"{_context.PeerName}'s certificate was refused by the validation callback ({errors})");
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            RecordFailure(TlsFailure.Certificate, $"the certificate validation callback failed: {ex.GetType().Name}: {ex.Message}");
        }
        finally
        {
            foreach (X509Certificate2 certificate in extra)
            {
                certificate.Dispose();
            }
        }

        lock (_gate)
        {
            if (accepted && _state == State.Verifying)
            {
                _peerCertificate = leaf;
                leaf = null;
                Opened();
            }
            else
            {
                accepted = false;
            }
        }

        leaf?.Dispose();
        _connection!.CompleteHandshake(accepted);
    }
}
