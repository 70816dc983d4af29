using System.Net.Security;
using System.Net.Sockets;
using Netpoll.Connections;
using Netpoll.Diagnostics;
using Netpoll.Interop;
using Netpoll.Polling;
using Netpoll.Tests.Support;

namespace Netpoll.Tests.Tls;

/// <summary>
/// OpenSSL's error queue is per thread, and SSL_get_error reads it: an error left there by other OpenSSL work on
/// the poller thread (an inline handler using crypto) must not be taken for the next TLS read's failure.
/// </summary>
public class TlsErrorQueueTests
{
    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task An_OpenSSL_error_an_inline_handler_left_on_the_poller_thread_does_not_fail_the_next_record(PollerBackendKind backend)
    {
        var handler = new ErrorLeavingEcho();
        await using TestServer server = TlsTestServer.Start(handler, dispatch: DispatchMode.Inline, backend: backend);
        using Socket socket = await server.ConnectSocketAsync();
        var halving = new HalvingStream(new NetworkStream(socket));
        await using var ssl = new SslStream(halving);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = "localhost", RemoteCertificateValidationCallback = (_, _, _, _) => true }, cts.Token);

        halving.Split = true; // from here each record reaches the server in two reads: the first ends mid-record (WANT_READ)
        for (int i = 0; i < 3; i++)
        {
            byte[] message = [(byte)'a', (byte)'b', (byte)'c', (byte)('0' + i)];
            await ssl.WriteAsync(message, cts.Token);
            byte[] echoed = new byte[message.Length];
            await ssl.ReadExactlyAsync(echoed, cts.Token);
            Assert.Equal(message, echoed);
        }

        Assert.Equal(3, handler.ErrorsLeft);
        Assert.Equal(0, server.Count(PollerCounter.TlsFailedProtocol));
    }

    /// <summary>Echoes, and leaves an OpenSSL error on its thread's queue as a failed decode does (the poller's, inline).</summary>
    private sealed class ErrorLeavingEcho : ConnectionHandler
    {
        private readonly EchoHandler _echo = new();

        public int ErrorsLeft { get; private set; }

        public override ValueTask OnRequestAsync(Connection connection)
        {
            LeaveAnError();
            ErrorsLeft++;
            return _echo.OnRequestAsync(connection);
        }

        private static unsafe void LeaveAnError()
        {
            byte* garbage = stackalloc byte[] { 0x30, 0x03, 0x01, 0x02, 0x03 };
            byte* cursor = garbage;
            nint x509 = LibCrypto.D2iX509(0, &cursor, 5); // not a certificate: fails, and pushes ASN.1 errors
            Assert.Equal(0, x509);
        }
    }

    /// <summary>Once <see cref="Split"/> is set, writes each buffer in two halves a moment apart (two TCP reads at the server).</summary>
    private sealed class HalvingStream(Stream inner) : Stream
    {
        public bool Split { get; set; }

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (!Split || buffer.Length < 2)
            {
                await inner.WriteAsync(buffer, cancellationToken);
                return;
            }

            int half = buffer.Length / 2;
            await inner.WriteAsync(buffer[..half], cancellationToken);
            await Task.Delay(50, cancellationToken); // not timing anything: only keeps the halves apart
            await inner.WriteAsync(buffer[half..], cancellationToken);
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer, offset, count).GetAwaiter().GetResult();

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => inner.ReadAsync(buffer, cancellationToken);

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => inner.ReadAsync(buffer, offset, count, cancellationToken);

        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);

        public override void Flush() => inner.Flush();

        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
