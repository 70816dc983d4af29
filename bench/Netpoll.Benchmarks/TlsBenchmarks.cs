using System.IO.Pipelines;
using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Netpoll.Buffers;
using Netpoll.Connections;
using Netpoll.Tls;

namespace Netpoll.Benchmarks;

/// <summary>
/// The measurement behind the engine's TLS design (docs/architecture.md, TLS): the two ways the engine could
/// do TLS, each with a client and a server in one process over memory, no sockets — so the difference is the
/// TLS layer alone. "Engine" is what the engine ships: OpenSSL SSL objects whose BIO reads and writes the
/// connection's LinkBuffers, driven by hand as the poller and the flusher drive them. "SslStream" is the
/// alternative: .NET's SslStream (the same OpenSSL underneath on Linux) over an adapter stream, here a pair
/// of inline System.IO.Pipelines pipes. Both sides' work is counted, so each figure is two endpoints' cost.
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class TlsBenchmarks : IDisposable
{
    private static readonly IPEndPoint Server = new(IPAddress.Loopback, 443);

    private X509Certificate2 _certificate = null!;
    private BufferPool _pool = null!;
    private TlsServerContext _serverContext = null!;
    private TlsClientContext _freshClient = null!;
    private TlsClientContext _resumingClient = null!;
    private SslStreamCertificateContext _sslContext = null!;

    // A long-lived pair of each kind for the record benchmarks.
    private Pair _engine = null!;
    private SslPair _ssl = null!;
    private byte[] _request = [];
    private byte[] _response = [];
    private byte[] _readBuffer = [];

    [Params(64, 1024, 16 * 1024)]
    public int MessageSize { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        using ECDsa key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256);
        using X509Certificate2 created = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        _certificate = X509CertificateLoader.LoadPkcs12(created.Export(X509ContentType.Pfx), null);
        _pool = new BufferPool(new BufferPoolOptions { TrimInterval = TimeSpan.Zero, PoisonOnReturn = false });
        _serverContext = new TlsServerContext(new TlsServerOptions { Certificate = _certificate });
        _freshClient = new TlsClientContext(new TlsClientOptions { TargetHost = "localhost", SkipCertificateValidation = true, SessionResumption = false });
        _resumingClient = new TlsClientContext(new TlsClientOptions { TargetHost = "localhost", SkipCertificateValidation = true });
        _sslContext = SslStreamCertificateContext.Create(_certificate, additionalCertificates: null);

        _request = new byte[MessageSize];
        _response = new byte[MessageSize];
        _readBuffer = new byte[MessageSize];
        new Random(1).NextBytes(_request);
        new Random(2).NextBytes(_response);
        _engine = Pair.Connect(_pool, _serverContext, _freshClient);
        _ssl = SslPair.ConnectAsync(_sslContext).GetAwaiter().GetResult();
        Engine_RoundTrip();
        SslStream_RoundTrip();
        _ = Engine_ResumedHandshake(); // primes the resuming client's session
    }

    [GlobalCleanup]
    public void Cleanup() => Dispose();

    public void Dispose()
    {
        _engine?.Dispose();
        _ssl?.Dispose();
        _serverContext?.Dispose();
        _freshClient?.Dispose();
        _resumingClient?.Dispose();
        _pool?.Dispose();
        _certificate?.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>A request and its response through TLS: client encrypts, server decrypts, server encrypts, client decrypts.</summary>
    [Benchmark(Baseline = true), BenchmarkCategory("round trip")]
    public int Engine_RoundTrip()
    {
        _engine.ClientPlainOut.WriteBinary(_request);
        _engine.ClientPlainOut.Flush();
        int got = _engine.ClientToServer();
        _engine.ServerPlainIn.Skip(got);
        _engine.ServerPlainIn.Release();
        _engine.ServerPlainOut.WriteBinary(_response);
        _engine.ServerPlainOut.Flush();
        got = _engine.ServerToClient();
        _engine.ClientPlainIn.Skip(got);
        _engine.ClientPlainIn.Release();
        return got;
    }

    [Benchmark, BenchmarkCategory("round trip")]
    public int SslStream_RoundTrip()
    {
        _ssl.Client.WriteAsync(_request).AsTask().GetAwaiter().GetResult();
        int got = ReadAll(_ssl.Server, _readBuffer);
        _ssl.Server.WriteAsync(_response).AsTask().GetAwaiter().GetResult();
        return got + ReadAll(_ssl.Client, _readBuffer);
    }

    /// <summary>A full TLS 1.3 handshake (ECDHE X25519, ECDSA P-256 signature) and the session ticket, then both ends freed.</summary>
    [Benchmark, BenchmarkCategory("handshake")]
    public bool Engine_FullHandshake()
    {
        using Pair pair = Pair.Connect(_pool, _serverContext, _freshClient);
        return pair.Resumed;
    }

    [Benchmark, BenchmarkCategory("handshake")]
    public bool Engine_ResumedHandshake()
    {
        using Pair pair = Pair.Connect(_pool, _serverContext, _resumingClient);
        return pair.Resumed;
    }

    [Benchmark, BenchmarkCategory("handshake")]
    public bool SslStream_FullHandshake()
    {
        using SslPair pair = SslPair.ConnectAsync(_sslContext).GetAwaiter().GetResult();
        return pair.Client.IsAuthenticated;
    }

    private static int ReadAll(SslStream stream, byte[] buffer)
    {
        int total = 0;
        while (total < buffer.Length)
        {
            int n = stream.ReadAsync(buffer.AsMemory(total)).AsTask().GetAwaiter().GetResult();
            if (n == 0)
            {
                throw new InvalidOperationException("the stream ended");
            }

            total += n;
        }

        return total;
    }

    /// <summary>An engine client and server transform joined by two raw buffers, each with its plaintext buffers.</summary>
    private sealed class Pair : IDisposable
    {
        private readonly ConnectionTransform _client;
        private readonly ConnectionTransform _server;
        private readonly LinkBuffer _c2s;
        private readonly LinkBuffer _s2c;

        private Pair(BufferPool pool, ConnectionTransform client, ConnectionTransform server)
        {
            _client = client;
            _server = server;
            _c2s = new LinkBuffer(pool);
            _s2c = new LinkBuffer(pool);
            ClientPlainIn = new LinkBuffer(pool);
            ClientPlainOut = new LinkBuffer(pool);
            ServerPlainIn = new LinkBuffer(pool);
            ServerPlainOut = new LinkBuffer(pool);
        }

        public LinkBuffer ClientPlainIn { get; }

        public LinkBuffer ClientPlainOut { get; }

        public LinkBuffer ServerPlainIn { get; }

        public LinkBuffer ServerPlainOut { get; }

        public bool Resumed { get; private set; }

        public static Pair Connect(BufferPool pool, TlsServerContext server, TlsClientContext client)
        {
            if (!server.TryCreateTransform(out ConnectionTransform? serverSide))
            {
                throw new InvalidOperationException("no server transform");
            }

            var pair = new Pair(pool, client.CreateTransform(Server), serverSide!);
            TransformStatus c = pair._client.Start(null!, pair._c2s);
            TransformStatus s = TransformStatus.Handshaking;
            for (int turn = 0; turn < 8 && (c != TransformStatus.Open || s != TransformStatus.Open); turn++)
            {
                s = pair._server.Decode(pair._c2s, pair.ServerPlainIn, pair._s2c, out _);
                c = pair._client.Decode(pair._s2c, pair.ClientPlainIn, pair._c2s, out _);
            }

            if (c != TransformStatus.Open || s != TransformStatus.Open)
            {
                throw new InvalidOperationException($"the handshake did not complete: client {c}, server {s}");
            }

            pair.Resumed = (pair._client as TlsTransform)?.GetInfo()?.IsResumed == true;
            return pair;
        }

        public int ClientToServer()
        {
            _ = _client.Encode(ClientPlainOut, _c2s, int.MaxValue);
            _ = _server.Decode(_c2s, ServerPlainIn, _s2c, out int produced);
            return produced;
        }

        public int ServerToClient()
        {
            _ = _server.Encode(ServerPlainOut, _s2c, int.MaxValue);
            _ = _client.Decode(_s2c, ClientPlainIn, _c2s, out int produced);
            return produced;
        }

        public void Dispose()
        {
            _client.Release();
            _server.Release();
            _c2s.Dispose();
            _s2c.Dispose();
            ClientPlainIn.Dispose();
            ClientPlainOut.Dispose();
            ServerPlainIn.Dispose();
            ServerPlainOut.Dispose();
        }
    }

    /// <summary>Two SslStreams over two inline pipes: what "SslStream over an adapter" costs without a socket.</summary>
    private sealed class SslPair : IDisposable
    {
        private SslPair(SslStream client, SslStream server)
        {
            Client = client;
            Server = server;
        }

        public SslStream Client { get; }

        public SslStream Server { get; }

        public static async Task<SslPair> ConnectAsync(SslStreamCertificateContext context)
        {
            var options = new PipeOptions(readerScheduler: PipeScheduler.Inline, writerScheduler: PipeScheduler.Inline, pauseWriterThreshold: 0, useSynchronizationContext: false);
            var up = new Pipe(options);
            var down = new Pipe(options);
            var client = new SslStream(new DuplexStream(down.Reader.AsStream(), up.Writer.AsStream()));
            var server = new SslStream(new DuplexStream(up.Reader.AsStream(), down.Writer.AsStream()));
            Task serverSide = server.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificateContext = context });
            await client.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = "localhost", RemoteCertificateValidationCallback = static (_, _, _, _) => true }).ConfigureAwait(false);
            await serverSide.ConfigureAwait(false);
            return new SslPair(client, server);
        }

        public void Dispose()
        {
            Client.Dispose();
            Server.Dispose();
        }
    }

    /// <summary>A stream that reads one pipe end and writes another.</summary>
    private sealed class DuplexStream(Stream reader, Stream writer) : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Flush() => writer.Flush();

        public override Task FlushAsync(CancellationToken cancellationToken) => writer.FlushAsync(cancellationToken);

        public override int Read(byte[] buffer, int offset, int count) => reader.Read(buffer, offset, count);

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => reader.ReadAsync(buffer, cancellationToken);

        public override void Write(byte[] buffer, int offset, int count) => writer.Write(buffer, offset, count);

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => writer.WriteAsync(buffer, cancellationToken);

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                reader.Dispose();
                writer.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
