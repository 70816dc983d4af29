using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Netpoll.Interop;

namespace Netpoll.Tls;

/// <summary>
/// What every TLS connection of one server or dialer shares: its OpenSSL context(s), its protocols, how it
/// checks the peer, and the hooks OpenSSL calls during a handshake. Built once from the options, so option
/// mistakes fail at construction, with a message, not on the first connection.
/// </summary>
internal abstract class TlsContext : IDisposable
{
    private readonly string[] _protocols;
    private long _liveSessions; // Interlocked: SSL objects of this context's connections not yet freed

    protected TlsContext(bool isClient, TimeSpan handshakeTimeout, IReadOnlyList<string>? protocols,
        RemoteCertificateValidationCallback? validation, X509Certificate2Collection? trust)
    {
        TlsLibrary.EnsureAvailable();
        IsClient = isClient;
        HandshakeTimeout = handshakeTimeout;
        _protocols = protocols is null ? [] : [.. protocols];
        ProtocolWire = _protocols.Length == 0 ? [] : TlsNames.AlpnWire(_protocols);
        Validation = validation;
        Trust = trust;
    }

    public bool IsClient { get; }

    /// <summary>SSL objects made for this context's connections and not yet freed: each connection's is freed with its buffers.</summary>
    internal long LiveSessions => Volatile.Read(ref _liveSessions);

    public TimeSpan HandshakeTimeout { get; }

    /// <summary>The peer as messages name it.</summary>
    public string PeerName => IsClient ? "the server" : "the client";

    /// <summary>The user's certificate callback; null: OpenSSL's own check decides during the handshake.</summary>
    public RemoteCertificateValidationCallback? Validation { get; }

    /// <summary>The roots the peer's certificate must chain to; null: the system's.</summary>
    public X509Certificate2Collection? Trust { get; }

    /// <summary>The configured ALPN protocols, in order of preference.</summary>
    public IReadOnlyList<string> Protocols => _protocols;

    /// <summary>The configured ALPN protocols in wire format (each name preceded by its length).</summary>
    protected byte[] ProtocolWire { get; }

    /// <summary>The configured protocol name for the ALPN bytes OpenSSL negotiated, matched in the wire form (no string is made per connection).</summary>
    public string? ProtocolName(ReadOnlySpan<byte> selected)
    {
        ReadOnlySpan<byte> wire = ProtocolWire; // the names of _protocols, in order, each after its length
        foreach (string protocol in _protocols)
        {
            if (wire.Slice(1, wire[0]).SequenceEqual(selected))
            {
                return protocol;
            }

            wire = wire[(1 + wire[0])..];
        }

        return Encoding.UTF8.GetString(selected);
    }

    /// <summary>Server: SNI, inside the handshake. False refuses the connection (the transform recorded why).</summary>
    public virtual bool SelectServerName(nint ssl, TlsTransform transform) => true;

    /// <summary>Server: ALPN, inside the handshake: the offset in <paramref name="offered"/> of the chosen name's length byte, or -1.</summary>
    public virtual int SelectApplicationProtocol(ReadOnlySpan<byte> offered) => -1;

    /// <summary>Client: a session arrived for <paramref name="key"/>; true when it was kept (the cache owns the reference).</summary>
    public virtual bool KeepSession(string key, nint session) => false;

    public abstract void Dispose();

    /// <summary>A connection's transform took (+1) or freed (-1) its SSL object.</summary>
    internal void CountSession(int change) => Interlocked.Add(ref _liveSessions, change);

    /// <summary>What every context of this engine sets: protocol versions, no renegotiation, small idle memory, fewer BIO reads.</summary>
    protected static void Configure(TlsContextHandle handle, SslProtocols protocols)
    {
        nint ctx = handle.DangerousGetHandle();
        (int min, int max) = TlsNames.VersionRange(protocols);
        if (LibSsl.CtxCtrl(ctx, LibSsl.SSL_CTRL_SET_MIN_PROTO_VERSION, min, 0) != 1 ||
            LibSsl.CtxCtrl(ctx, LibSsl.SSL_CTRL_SET_MAX_PROTO_VERSION, max, 0) != 1)
        {
            throw new InvalidOperationException($"OpenSSL refused the protocol versions {protocols}: {TlsErrors.Last()}");
        }

        _ = LibSsl.CtxSetOptions(ctx, LibSsl.SSL_OP_NO_RENEGOTIATION | LibSsl.SSL_OP_NO_COMPRESSION);
        // An idle connection gives its 16 KiB+ record buffers back; read-ahead lets one BIO read take all that is buffered.
        _ = LibSsl.CtxCtrl(ctx, LibSsl.SSL_CTRL_MODE, LibSsl.SSL_MODE_RELEASE_BUFFERS, 0);
        _ = LibSsl.CtxCtrl(ctx, LibSsl.SSL_CTRL_SET_READ_AHEAD, 1, 0);
    }

    /// <summary>Where the peer's certificate must chain to: the given roots, or the system's trusted ones.</summary>
    protected static void UseTrust(TlsContextHandle handle, X509Certificate2Collection? roots)
    {
        nint ctx = handle.DangerousGetHandle();
        if (roots is null)
        {
            if (LibSsl.CtxSetDefaultVerifyPaths(ctx) != 1)
            {
                throw new InvalidOperationException($"OpenSSL could not load the system's trusted roots: {TlsErrors.Last()}");
            }

            return;
        }

        LibSsl.CtxSetCertStore(ctx, TlsCertificates.CreateStore(roots)); // the context owns the store
    }
}
