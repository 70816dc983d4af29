using System.Runtime.InteropServices;
using System.Security.Cryptography.X509Certificates;
using Netpoll.Connections;
using Netpoll.Interop;

namespace Netpoll.Tls;

/// <summary>
/// A server's TLS: one OpenSSL context per certificate. Every connection starts on the base context (the
/// default certificate's, or one without a certificate when there is no default); the SNI hook moves it to
/// the context of the host name the client asked for, or refuses a name nothing serves.
/// </summary>
internal sealed unsafe class TlsServerContext : TlsContext
{
    private static ReadOnlySpan<byte> SessionIdContext => "netpoll"u8;

    private readonly TlsServerOptions _options;
    private readonly TlsContextHandle _base;
    private readonly bool _hasDefault;
    private readonly Dictionary<string, TlsContextHandle> _exact = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, TlsContextHandle> _wildcard = new(StringComparer.OrdinalIgnoreCase); // "*.example.com" under "example.com"
    private readonly List<TlsContextHandle> _all = [];

    public TlsServerContext(TlsServerOptions options)
        : base(isClient: false, options.HandshakeTimeout, options.ApplicationProtocols, options.ClientCertificateValidation, options.ClientCertificateTrust)
    {
        _options = options;
        try
        {
            _hasDefault = options.Certificate is not null;
            _base = Create(options.Certificate);
            var byCertificate = new Dictionary<X509Certificate2, TlsContextHandle>(ReferenceEqualityComparer.Instance);
            if (options.Certificate is not null)
            {
                byCertificate[options.Certificate] = _base;
            }

            foreach ((string name, X509Certificate2 certificate) in options.HostCertificates ?? new Dictionary<string, X509Certificate2>())
            {
                if (!byCertificate.TryGetValue(certificate, out TlsContextHandle? context))
                {
                    context = byCertificate[certificate] = Create(certificate);
                }

                if (name.StartsWith("*.", StringComparison.Ordinal))
                {
                    _wildcard[name[2..]] = context;
                }
                else
                {
                    _exact[name] = context;
                }
            }

            if (_exact.Count > 0 || _wildcard.Count > 0 || !_hasDefault)
            {
                _ = LibSsl.CtxCallbackCtrl(_base.DangerousGetHandle(), LibSsl.SSL_CTRL_SET_TLSEXT_SERVERNAME_CB, (nint)TlsCallbacks.ServerName);
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>A transform for an accepted connection; false when OpenSSL cannot make one (out of memory), so the caller refuses just this connection.</summary>
    public bool TryCreateTransform(out ConnectionTransform? transform)
    {
        nint ssl = LibSsl.New(_base.DangerousGetHandle());
        if (ssl == 0)
        {
            TlsErrors.Clear();
            transform = null;
            return false;
        }

        try
        {
            LibSsl.SetAcceptState(ssl);
            transform = new TlsTransform(this, ssl);
            return true;
        }
        catch (InvalidOperationException)
        {
            LibSsl.Free(ssl);
            transform = null;
            return false;
        }
    }

    public override bool SelectServerName(nint ssl, TlsTransform transform)
    {
        string? name = Marshal.PtrToStringUTF8((nint)LibSsl.GetServerName(ssl, LibSsl.TLSEXT_NAMETYPE_host_name));
        TlsContextHandle? context = name is null ? null : Find(name);
        if (context is not null)
        {
            if (context != _base)
            {
                _ = LibSsl.SetSslCtx(ssl, context.DangerousGetHandle());
            }

            return true;
        }

        if (_hasDefault)
        {
            return true;
        }

        transform.RecordFailure(TlsFailure.UnknownHostName, name is null
            ? "the client asked for no host name (SNI) and the server has no default certificate"
            : $"the server has no certificate for the host name '{name}'");
        return false;
    }

    public override int SelectApplicationProtocol(ReadOnlySpan<byte> offered)
    {
        ReadOnlySpan<byte> ours = ProtocolWire;
        while (!ours.IsEmpty)
        {
            ReadOnlySpan<byte> mine = ours.Slice(1, ours[0]);
            for (int at = 0; at < offered.Length && at + 1 + offered[at] <= offered.Length; at += 1 + offered[at])
            {
                if (offered.Slice(at + 1, offered[at]).SequenceEqual(mine))
                {
                    return at;
                }
            }

            ours = ours[(1 + ours[0])..];
        }

        return -1;
    }

    public override void Dispose()
    {
        foreach (TlsContextHandle context in _all)
        {
            context.Dispose();
        }
    }

    private TlsContextHandle? Find(string name)
    {
        if (_exact.TryGetValue(name, out TlsContextHandle? exact))
        {
            return exact;
        }

        int dot = name.IndexOf('.', StringComparison.Ordinal);
        return dot > 0 && _wildcard.TryGetValue(name[(dot + 1)..], out TlsContextHandle? wildcard) ? wildcard : null;
    }

    private TlsContextHandle Create(X509Certificate2? certificate)
    {
        TlsContextHandle handle = TlsContextHandle.Create(server: true);
        _all.Add(handle);
        Configure(handle, _options.EnabledProtocols);
        nint ctx = handle.DangerousGetHandle();
        if (certificate is not null)
        {
            TlsCertificates.Use(handle, certificate, _options.CertificateChain);
        }

        fixed (byte* id = SessionIdContext)
        {
            _ = LibSsl.CtxSetSessionIdContext(ctx, id, (uint)SessionIdContext.Length);
        }

        // Resumption by tickets only (stateless): no server-side session cache to lock across pollers or to grow.
        _ = LibSsl.CtxCtrl(ctx, LibSsl.SSL_CTRL_SET_SESS_CACHE_MODE, LibSsl.SSL_SESS_CACHE_OFF, 0);
        if (_options.SessionTickets)
        {
            _ = LibSsl.CtxSetNumTickets(ctx, 1); // one per handshake: a client keeps one session per server
        }
        else
        {
            _ = LibSsl.CtxSetOptions(ctx, LibSsl.SSL_OP_NO_TICKET);
            _ = LibSsl.CtxSetNumTickets(ctx, 0);
        }

        if (ProtocolWire.Length > 0)
        {
            LibSsl.CtxSetAlpnSelectCallback(ctx, TlsCallbacks.SelectAlpn, 0);
        }

        if (_options.ClientCertificateMode != ClientCertificateMode.None)
        {
            int mode = LibSsl.SSL_VERIFY_PEER | (_options.ClientCertificateMode == ClientCertificateMode.Required ? LibSsl.SSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0);
            LibSsl.CtxSetVerify(ctx, mode, null);
            if (Validation is null)
            {
                UseTrust(handle, Trust);
            }
            else
            {
                LibSsl.CtxSetCertVerifyCallback(ctx, TlsCallbacks.SkipVerification, 0); // the callback decides, off the poller
            }
        }

        return handle;
    }
}
