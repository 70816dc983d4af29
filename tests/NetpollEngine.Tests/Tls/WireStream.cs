using System.Net.Sockets;

namespace Netpoll.Tests.Tls;

/// <summary>
/// The socket under a test's SslStream, with a hand on the wire: it can drip what the client writes one byte
/// per send, or hold writes back (to send them later, in another order, or only in part) — how the fault tests
/// make a real TLS client misbehave at the byte level.
/// </summary>
internal sealed class WireStream(Socket socket) : Stream
{
    private readonly List<byte[]> _held = [];

    /// <summary>Each byte written goes out in its own send, a millisecond apart.</summary>
    public bool Drip { get; set; }

    /// <summary>Writes are kept (see <see cref="TakeHeld"/>) instead of sent.</summary>
    public bool Hold { get; set; }

    public Socket Socket => socket;

    /// <summary>.NET's TLS client to <paramref name="server"/> over a wire the test controls (to hold, drip or forge what goes on it).</summary>
    public static async Task<(System.Net.Security.SslStream Client, WireStream Wire)> ConnectClientAsync(Support.TestServer server,
        System.Security.Authentication.SslProtocols protocols = System.Security.Authentication.SslProtocols.None, bool drip = false)
    {
        Socket socket = await server.ConnectSocketAsync();
        socket.NoDelay = true;
        var wire = new WireStream(socket) { Drip = drip };
        return (await TlsTestServer.ConnectSslStreamAsync(wire, protocols), wire);
    }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    /// <summary>How many bytes are held now. Any thread.</summary>
    public int HeldBytes
    {
        get
        {
            lock (_held)
            {
                return _held.Sum(b => b.Length);
            }
        }
    }

    /// <summary>What was written while <see cref="Hold"/> was on, as one block; the hold list is emptied. Any thread.</summary>
    public byte[] TakeHeld()
    {
        lock (_held)
        {
            byte[] all = [.. _held.SelectMany(b => b)];
            _held.Clear();
            return all;
        }
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        await socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken);

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (Hold)
        {
            lock (_held)
            {
                _held.Add(buffer.ToArray());
            }

            return;
        }

        if (!Drip)
        {
            await SendAllAsync(buffer, cancellationToken);
            return;
        }

        for (int i = 0; i < buffer.Length; i++)
        {
            await SendAllAsync(buffer.Slice(i, 1), cancellationToken);
            await Task.Delay(1, cancellationToken);
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count).GetAwaiter().GetResult();

    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer, offset, count).GetAwaiter().GetResult();

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    /// <summary>
    /// Starts .NET's TLS client over this wire with writes held, and returns its ClientHello (not sent) and the
    /// handshake, which the test lets fail (it is observed here).
    /// </summary>
    public async Task<(Task Handshake, byte[] Hello)> HoldClientHelloAsync()
    {
        Hold = true;
        var ssl = new System.Net.Security.SslStream(this);
        Task handshake = ssl.AuthenticateAsClientAsync(new System.Net.Security.SslClientAuthenticationOptions { TargetHost = "localhost" });
        _ = handshake.ContinueWith(static t => t.Exception, TaskScheduler.Default); // it fails when the test cuts it off
        await Support.TestServer.Eventually(() => HeldBytes > 0, "the client wrote its ClientHello");
        return (handshake, TakeHeld());
    }

    /// <summary>Sends raw bytes under the TLS layer.</summary>
    public async Task SendAllAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken = default)
    {
        while (!bytes.IsEmpty)
        {
            int n = await socket.SendAsync(bytes, SocketFlags.None, cancellationToken);
            bytes = bytes[n..];
        }
    }

    /// <summary>Ends the connection with a TCP reset (SO_LINGER 0), as a crashed client's kernel does.</summary>
    public void Reset()
    {
        socket.LingerState = new LingerOption(true, 0);
        socket.Close();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            socket.Dispose();
        }

        base.Dispose(disposing);
    }
}
