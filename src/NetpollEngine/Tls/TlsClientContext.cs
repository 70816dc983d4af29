using System.Net;
using System.Net.Sockets;
using System.Text;
using Netpoll.Connections;
using Netpoll.Interop;

namespace Netpoll.Tls;

/// <summary>
/// A dialer's TLS: one OpenSSL client context for its options, and the sessions it keeps per server for
/// resumption. Without a user callback, OpenSSL checks the server's chain and name inside the handshake
/// (a failure is an alert to the server and an <see cref="System.Security.Authentication.AuthenticationException"/> here).
/// </summary>
internal sealed unsafe class TlsClientContext : TlsContext
{
    private readonly TlsClientOptions _options;
    private readonly TlsContextHandle _context;
    private readonly TlsSessionCache? _sessions;
    private readonly bool _verifyNatively;

    public TlsClientContext(TlsClientOptions options)
        : base(isClient: true, options.HandshakeTimeout, options.ApplicationProtocols, options.RemoteCertificateValidation, options.TrustedRoots)
    {
        _options = options;
        _context = TlsContextHandle.Create(server: false);
        try
        {
            Configure(_context, options.EnabledProtocols);
            nint ctx = _context.DangerousGetHandle();
            _verifyNatively = !options.SkipCertificateValidation && options.RemoteCertificateValidation is null;
            LibSsl.CtxSetVerify(ctx, _verifyNatively ? LibSsl.SSL_VERIFY_PEER : LibSsl.SSL_VERIFY_NONE, null);
            if (_verifyNatively)
            {
                UseTrust(_context, options.TrustedRoots);
            }
            else
            {
                // Skipped, or a user callback decides after the handshake (off the poller): OpenSSL builds no chain.
                LibSsl.CtxSetCertVerifyCallback(ctx, TlsCallbacks.SkipVerification, 0);
            }

            if (ProtocolWire.Length > 0)
            {
                fixed (byte* wire = ProtocolWire)
                {
                    if (LibSsl.CtxSetAlpnProtos(ctx, wire, (uint)ProtocolWire.Length) != 0)
                    {
                        throw new ArgumentException($"OpenSSL refused the ALPN protocols: {TlsErrors.Last()}", nameof(options));
                    }
                }
            }

            if (options.ClientCertificate is not null)
            {
                TlsCertificates.Use(_context, options.ClientCertificate, chain: null);
            }

            if (options.SessionResumption)
            {
                _sessions = new TlsSessionCache();
                // The sessions are kept by the callback, keyed per server; OpenSSL's own client cache stays empty.
                _ = LibSsl.CtxCtrl(ctx, LibSsl.SSL_CTRL_SET_SESS_CACHE_MODE, LibSsl.SSL_SESS_CACHE_CLIENT | LibSsl.SSL_SESS_CACHE_NO_INTERNAL_STORE, 0);
                LibSsl.CtxSetNewSessionCallback(ctx, TlsCallbacks.NewSession);
            }
        }
        catch
        {
            _context.Dispose();
            throw;
        }
    }

    /// <summary>A transform for a connection to <paramref name="remote"/>, resuming the last session with it when there is one.</summary>
    /// <exception cref="InvalidOperationException">OpenSSL could not make a session (out of memory).</exception>
    public ConnectionTransform CreateTransform(EndPoint remote)
    {
        string? host = _options.TargetHost ?? (remote as IPEndPoint)?.Address.ToString();
        nint ssl = LibSsl.New(_context.DangerousGetHandle());
        if (ssl == 0)
        {
            throw new InvalidOperationException($"OpenSSL could not create a TLS session: {TlsErrors.Last()}");
        }

        try
        {
            bool isAddress = host is not null && IPAddress.TryParse(host, out _);
            if (host is not null && !isAddress)
            {
                SetServerName(ssl, host); // SNI carries names only, never addresses
            }

            if (_verifyNatively && host is not null)
            {
                int set = isAddress ? LibCrypto.VerifyParamSetIp(LibSsl.GetParam(ssl), host) : LibSsl.SetHost(ssl, host);
                if (set != 1)
                {
                    throw new InvalidOperationException($"OpenSSL refused the host name '{host}' to verify: {TlsErrors.Last()}");
                }
            }

            string? key = null;
            if (_sessions is not null)
            {
                key = $"{host}|{Describe(remote)}";
                _sessions.Resume(key, ssl);
            }

            LibSsl.SetConnectState(ssl);
            return new TlsTransform(this, ssl, host, key);
        }
        catch
        {
            LibSsl.Free(ssl);
            throw;
        }
    }

    public override bool KeepSession(string key, nint session) => _sessions?.Keep(key, session) == true;

    public override void Dispose()
    {
        _sessions?.Dispose();
        _context.Dispose();
    }

    private static void SetServerName(nint ssl, string host)
    {
        int length = Encoding.UTF8.GetByteCount(host);
        byte* name = stackalloc byte[length + 1];
        Encoding.UTF8.GetBytes(host, new Span<byte>(name, length));
        name[length] = 0;
        if (LibSsl.Ctrl(ssl, LibSsl.SSL_CTRL_SET_TLSEXT_HOSTNAME, LibSsl.TLSEXT_NAMETYPE_host_name, (nint)name) != 1)
        {
            throw new InvalidOperationException($"OpenSSL refused the server name '{host}': {TlsErrors.Last()}");
        }
    }

    private static string Describe(EndPoint remote) => remote switch
    {
        IPEndPoint ip => ip.ToString(),
        UnixDomainSocketEndPoint unix => unix.ToString(),
        _ => remote.ToString() ?? "",
    };
}
