using System.Runtime.InteropServices;
using Netpoll.Interop;

namespace Netpoll.Tls;

/// <summary>An OpenSSL SSL_CTX. Each SSL made from it holds its own reference, so freeing it never pulls the rug from a live connection.</summary>
internal sealed class TlsContextHandle : SafeHandle
{
    private TlsContextHandle(nint ctx)
        : base(0, ownsHandle: true) => SetHandle(ctx);

    public override bool IsInvalid => handle == 0;

    /// <summary>A new SSL_CTX for the server or the client side.</summary>
    public static TlsContextHandle Create(bool server)
    {
        nint ctx = LibSsl.CtxNew(server ? LibSsl.TlsServerMethod() : LibSsl.TlsClientMethod());
        return ctx != 0 ? new TlsContextHandle(ctx) : throw new InvalidOperationException($"OpenSSL could not create a TLS context: {TlsErrors.Last()}");
    }

    protected override bool ReleaseHandle()
    {
        LibSsl.CtxFree(handle);
        return true;
    }
}
