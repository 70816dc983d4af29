using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Text;
using Netpoll.Connections;
using Netpoll.Diagnostics;
using Netpoll.Polling;
using Netpoll.Tests.Support;
using Netpoll.Tls;

namespace Netpoll.Tests.Tls;

/// <summary>
/// Real TLS clients misbehaving at the byte level, on every backend: records dripped a byte at a time, resets
/// in the middle of a handshake and of a record, bytes after close_notify, records at the 16 KiB boundary, and
/// a burst of failing handshakes. Each ends (or serves) its own connection, the server keeps serving a healthy
/// client throughout, and every SSL object is freed.
/// </summary>
public sealed class TlsFaultTests
{
    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task A_client_that_drips_every_record_one_byte_at_a_time_is_served(PollerBackendKind backend)
    {
        // A byte per send with a pause between takes seconds on a loaded machine: the handshake deadline is not what is tested.
        TlsServerOptions patient = TlsTestServer.Options with { HandshakeTimeout = TimeSpan.FromSeconds(60) };
        await using TestServer server = TlsTestServer.Start(new EchoHandler(), patient, backend: backend);
        (SslStream client, WireStream wire) = await WireStream.ConnectClientAsync(server, protocols: SslProtocols.Tls12, drip: true);
        await using (client)
        {
            byte[] message = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("dripped one byte per send ", 12)));
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await client.WriteAsync(message, cts.Token);
            byte[] echoed = new byte[message.Length];
            await client.ReadExactlyAsync(echoed, cts.Token);
            Assert.Equal(message, echoed);
            Assert.True(wire.Drip);
        }

        Assert.Equal(1, server.Count(PollerCounter.TlsHandshakes));
        Assert.Equal(0, server.Loop.GetStats().Sum(s => s.TlsHandshakeFailures));
    }

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task A_reset_mid_handshake_and_mid_record_ends_only_that_connection_and_frees_its_SSL(PollerBackendKind backend)
    {
        var echo = new EchoHandler();
        await using TestServer server = TlsTestServer.Start(echo, backend: backend);
        await using SslStream healthy = await TlsTestServer.ConnectSslStreamAsync(server.EndPoint);

        // Mid-handshake: the first half of a real ClientHello, then a reset.
        using (var socket = await server.ConnectSocketAsync())
        {
            var wire = new WireStream(socket);
            (Task handshake, byte[] hello) = await wire.HoldClientHelloAsync();
            await wire.SendAllAsync(hello.AsMemory(0, hello.Length / 2));
            await TestServer.Eventually(() => server.Loop.ConnectionCount == 2, "the server has the half-hello connection");
            wire.Reset();
            await Assert.ThrowsAnyAsync<Exception>(() => handshake.WaitAsync(TimeSpan.FromSeconds(10)));
        }

        await TestServer.Eventually(() => server.Count(PollerCounter.TlsFailedPeerClosed) == 1, "the reset handshake was counted as the peer closing");

        // Mid-record: an established session sends half of an application record, then a reset.
        (SslStream client, WireStream recordWire) = await WireStream.ConnectClientAsync(server);
        await using (client)
        {
            recordWire.Hold = true;
            await client.WriteAsync(new byte[4000]);
            recordWire.Hold = false;
            byte[] record = recordWire.TakeHeld();
            await recordWire.SendAllAsync(record.AsMemory(0, record.Length / 2));
            await Task.Delay(50); // let the server read the half record before the reset
            recordWire.Reset();
        }

        await TestServer.Eventually(() => echo.CloseReasons.Count == 2, "the reset mid-record closed its connection");
        Assert.Equal(CloseReason.Error, echo.CloseReasons.Last()); // a reset, not a clean end (the half-hello's reason varies with timing)
        await TestServer.Eventually(() => server.Loop.ConnectionCount == 1, "only the healthy connection is left");
        await TestServer.Eventually(() => server.Loop.TlsContext!.LiveSessions == 1, "only the healthy connection holds an SSL object");
        await TlsTestServer.AssertEchoes(healthy);
    }

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task A_whole_ClientHello_then_silence_is_closed_at_the_handshake_deadline(PollerBackendKind backend)
    {
        var echo = new EchoHandler();
        await using TestServer server = TlsTestServer.Start(echo, TlsTestServer.Options with { HandshakeTimeout = TimeSpan.FromMilliseconds(500) }, backend: backend);
        await using SslStream healthy = await TlsTestServer.ConnectSslStreamAsync(server.EndPoint);

        using Socket socket = await server.ConnectSocketAsync();
        var wire = new WireStream(socket);
        (_, byte[] hello) = await wire.HoldClientHelloAsync();
        await wire.SendAllAsync(hello); // the whole hello; the server answers; the client's next flight never goes
        await TlsTestServer.ExpectClosedByServer(socket);

        await TestServer.Eventually(() => server.Count(PollerCounter.TlsFailedTimeout) == 1, "the server counted a handshake timeout");
        await TestServer.Eventually(() => echo.CloseReasons.Contains(CloseReason.HandshakeTimeout), "the connection closed as HandshakeTimeout");
        await TestServer.Eventually(() => server.Loop.TlsContext!.LiveSessions == 1, "only the healthy connection holds an SSL object");
        await TlsTestServer.AssertEchoes(healthy);
    }

    [Theory]
    [MemberData(nameof(TlsVersions))]
    public async Task Bytes_after_a_close_notify_are_ignored_and_the_stream_ends_cleanly(PollerBackendKind backend, SslProtocols protocol)
    {
        var received = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var ended = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var closed = new TaskCompletionSource<CloseReason>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using TestServer server = TestServer.Start(async c =>
        {
            if (c.Context is null)
            {
                c.Context = "seen";
                c.AddCloseCallback(x => closed.TrySetResult(x.CloseReason));
            }

            if (c.Reader.Length > 0)
            {
                received.Enqueue(c.Reader.ReadString(c.Reader.Length));
            }

            try
            {
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));
                await c.Reader.WaitAsync(1, cts.Token);
            }
            catch (EndOfStreamException)
            {
                ended.TrySetResult();
            }
            catch (Exception ex)
            {
                received.Enqueue($"[{ex.GetType().Name}: {ex.Message}]");
                throw;
            }
        }, BackendMatrix.Server(backend) with { Pollers = 1, Tls = TlsTestServer.Options });

        (SslStream client, WireStream wire) = await WireStream.ConnectClientAsync(server, protocol);
        await using (client)
        {
            await client.WriteAsync("before"u8.ToArray());
            await client.ShutdownAsync(); // close_notify
            // No TLS library seals a record after its close_notify, so what follows one is junk: a record that
            // would fail to decrypt, and must not be read at all.
            byte[] junk = new byte[5 + 48];
            new Random(5).NextBytes(junk);
            junk[0] = 0x17;
            junk[1] = 0x03;
            junk[2] = 0x03;
            junk[3] = 0x00;
            junk[4] = 48;
            await wire.SendAllAsync(junk);
            await Task.WhenAny(ended.Task, Task.Delay(TimeSpan.FromSeconds(15)));
            Assert.True(ended.Task.IsCompleted, $"the handler never read the end of the stream; it read: {string.Concat(received)}");

            // The server closes first: a client that closed its socket now, with the server's close_notify unread,
            // would reset the connection, and the reset (not the junk) would make the close an Error.
            CloseReason reason = await closed.Task.WaitAsync(TimeSpan.FromSeconds(15));
            Assert.NotEqual(CloseReason.Error, reason); // the junk was never decrypted: no bad_record_mac
        }

        Assert.Equal("before", string.Concat(received));
        Assert.Equal(0, server.Loop.GetStats().Sum(s => s.TlsHandshakeFailures));
    }

    [Theory]
    [MemberData(nameof(TlsVersions))]
    public async Task A_client_that_resets_after_its_close_notify_and_FIN_ends_as_PeerClosed(PollerBackendKind backend, SslProtocols protocol)
    {
        // What many clients do: ask, read the answer, send close_notify, close the socket. The server's own close_notify then arrives at a
        // closed socket and the client's kernel answers it with a reset. Everything the client sent was handled and its
        // stream ended cleanly, so the close is PeerClosed. (TLS 1.2 once sent its close_notify from the decode, before
        // the connection recorded why it closed, and the reset won that race: 39 of 40 closed as Error.)
        const int Clients = 20;
        var reasons = new System.Collections.Concurrent.ConcurrentQueue<CloseReason>();
        var received = new System.Collections.Concurrent.ConcurrentQueue<string>();
        await using TestServer server = TestServer.Start(async c =>
        {
            if (c.Context is null)
            {
                c.Context = "seen";
                c.AddCloseCallback(x => reasons.Enqueue(x.CloseReason));
            }

            if (c.Reader.Length > 0)
            {
                string text = c.Reader.ReadString(c.Reader.Length);
                received.Enqueue(text);
                c.Writer.WriteString(text); // the answer (the client reads it, and a TLS 1.3 ticket before it)
                await c.Writer.FlushAsync();
            }

            try
            {
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));
                await c.Reader.WaitAsync(1, cts.Token);
            }
            catch (EndOfStreamException)
            {
                // the clean end the test is about; the engine closes the connection when the handler returns
            }
        }, BackendMatrix.Server(backend) with { Pollers = 1, Tls = TlsTestServer.Options });

        for (int i = 0; i < Clients; i++)
        {
            using Socket socket = await server.ConnectSocketAsync();
            socket.NoDelay = true; // the close_notify goes at once, not after the server's delayed ACK of "hello"
            await using SslStream client = await TlsTestServer.ConnectSslStreamAsync(new NetworkStream(socket, ownsSocket: false), protocol);
            await client.WriteAsync("hello"u8.ToArray());
            byte[] answer = new byte[5];
            await client.ReadExactlyAsync(answer).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
            await client.ShutdownAsync();
            socket.Shutdown(SocketShutdown.Send);

            // The server's close_notify waits unread: closing now resets, right after it arrived.
            Assert.True(socket.Poll(TimeSpan.FromSeconds(10), SelectMode.SelectRead), "the server never answered the close_notify");
            socket.Close();
        }

        await TestServer.Eventually(() => reasons.Count == Clients, $"every connection closed ({reasons.Count} of {Clients})");
        Assert.All(reasons, reason => Assert.Equal(CloseReason.PeerClosed, reason));
        Assert.All(received, text => Assert.Equal("hello", text));
        Assert.Equal(Clients, received.Count);
        await TestServer.Eventually(() => server.Loop.TlsContext!.LiveSessions == 0, "every SSL object was freed");
    }

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task An_answer_written_after_a_TLS_1_2_clients_close_notify_is_discarded_and_the_close_stays_PeerClosed(PollerBackendKind backend)
    {
        // A TLS 1.2 client that sends its last request with its close_notify (RFC 5246 §7.2.1: no more data either way):
        // the handler reads the request and answers it, not knowing. The answer is a pending write the RFC discards, not
        // a failure: the connection ends as the PeerClosed it is, with our close_notify and nothing encrypted after it.
        var closed = new TaskCompletionSource<CloseReason>(TaskCreationOptions.RunContinuationsAsynchronously);
        var answered = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using TestServer server = TestServer.Start(async c =>
        {
            if (c.Context is null)
            {
                c.Context = "seen";
                c.AddCloseCallback(x => closed.TrySetResult(x.CloseReason));
            }

            try
            {
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));
                await c.Reader.WaitAsync(1 << 20, cts.Token); // throws at the end of the stream: the close_notify came
            }
            catch (EndOfStreamException)
            {
            }

            string request = c.Reader.ReadString(c.Reader.Length);
            c.Writer.WriteString(request);
            try
            {
                await c.Writer.FlushAsync();
                answered.TrySetResult(request);
            }
            catch (Exception ex)
            {
                answered.TrySetResult($"[{ex.GetType().Name}: {ex.Message}]");
            }
        }, BackendMatrix.Server(backend) with { Pollers = 1, Tls = TlsTestServer.Options });

        (SslStream client, WireStream _) = await WireStream.ConnectClientAsync(server, SslProtocols.Tls12);
        await using (client)
        {
            await client.WriteAsync("hello"u8.ToArray());
            await client.ShutdownAsync(); // close_notify
            Assert.Equal("hello", await answered.Task.WaitAsync(TimeSpan.FromSeconds(15)));
            Assert.Equal(CloseReason.PeerClosed, await closed.Task.WaitAsync(TimeSpan.FromSeconds(15)));
            byte[] buffer = new byte[16];
            int read = await client.ReadAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(15));
            Assert.Equal(0, read); // the server's close_notify, with no record before it
        }
    }

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task Writes_at_the_16_KiB_record_boundary_echo_whole(PollerBackendKind backend)
    {
        await using TestServer server = TlsTestServer.Start(new EchoHandler(), backend: backend);
        await using SslStream client = await TlsTestServer.ConnectSslStreamAsync(server.EndPoint);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var random = new Random(16);
        foreach (int size in new[] { 16383, 16384, 16385, 32767, 32768, 32769, 65536 + 1 })
        {
            byte[] message = new byte[size];
            random.NextBytes(message);
            await client.WriteAsync(message, cts.Token);
            byte[] echoed = new byte[size];
            await client.ReadExactlyAsync(echoed, cts.Token);
            Assert.True(message.AsSpan().SequenceEqual(echoed), $"{size} bytes did not echo whole");
        }
    }

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task Many_handshakes_failing_at_once_free_every_SSL_object_and_the_server_keeps_serving(PollerBackendKind backend)
    {
        await using TestServer server = TlsTestServer.Start(new EchoHandler(), TlsTestServer.Options with { HandshakeTimeout = TimeSpan.FromSeconds(2) }, backend: backend);
        await using SslStream healthy = await TlsTestServer.ConnectSslStreamAsync(server.EndPoint);
        const int Each = 25;
        var failures = new List<Task>();
        for (int i = 0; i < Each; i++)
        {
            failures.Add(FailHandshakeAsync(server, i % 4));
            failures.Add(FailHandshakeAsync(server, (i + 1) % 4));
        }

        await Task.WhenAll(failures).WaitAsync(TimeSpan.FromSeconds(60));
        await TestServer.Eventually(() => server.Loop.ConnectionCount == 1, "only the healthy connection is left", timeoutMs: 20_000);
        await TestServer.Eventually(() => server.Loop.TlsContext!.LiveSessions == 1, "every failed handshake's SSL object was freed");
        Assert.Equal(2 * Each, server.Loop.GetStats().Sum(s => s.TlsHandshakeFailures));
        await TlsTestServer.AssertEchoes(healthy);
    }

    public static TheoryData<PollerBackendKind, SslProtocols> TlsVersions => BackendMatrix.Cross(SslProtocols.Tls12, SslProtocols.Tls13);

    /// <summary>One handshake that fails a different way: garbage, a stall until the deadline, a reset half-way, garbage after a real ClientHello.</summary>
    private static async Task FailHandshakeAsync(TestServer server, int kind)
    {
        using Socket socket = await server.ConnectSocketAsync();
        var wire = new WireStream(socket);
        switch (kind)
        {
            case 0:
                await wire.SendAllAsync(Enumerable.Repeat((byte)0x16, 5).Concat(new byte[400]).ToArray());
                await TlsTestServer.ExpectClosedByServer(socket);
                break;
            case 1:
                await wire.SendAllAsync(new byte[] { 0x16, 0x03, 0x01, 0x00, 0x80 }); // a record header, then nothing
                await TlsTestServer.ExpectClosedByServer(socket);
                break;
            case 2:
                (Task handshake, byte[] hello) = await wire.HoldClientHelloAsync();
                await wire.SendAllAsync(hello.AsMemory(0, hello.Length - 1));
                await Task.Delay(20);
                wire.Reset();
                await Assert.ThrowsAnyAsync<Exception>(() => handshake.WaitAsync(TimeSpan.FromSeconds(10)));
                break;
            default:
                // A real ClientHello, then garbage where the client's next flight belongs: a record that fails to decrypt.
                (_, byte[] fullHello) = await wire.HoldClientHelloAsync();
                await wire.SendAllAsync(fullHello);
                byte[] noise = new byte[5 + 64];
                new Random(kind).NextBytes(noise);
                noise[0] = 0x17; // application data
                noise[1] = 0x03;
                noise[2] = 0x03;
                noise[3] = 0x00;
                noise[4] = 64;
                await wire.SendAllAsync(noise);
                await TlsTestServer.ExpectClosedByServer(socket);
                break;
        }
    }
}
