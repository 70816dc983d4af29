using System.Net.Sockets;
using System.Text;
using Netpoll.Connections;
using Netpoll.Diagnostics;
using Netpoll.Polling;
using Netpoll.Server;
using Netpoll.Tests.Support;

namespace Netpoll.Tests.IoUring;

/// <summary>
/// What only the completion backend does: receive into ring buffers (no read syscall, zero copy, every buffer
/// back), cancel before close, survive a ring too small for its connections, fall back to epoll with a reason
/// when the kernel refuses, and SQPOLL. The engine's behaviour on it is the whole matrix (BackendMatrix).
/// </summary>
public class IoUringBackendTests
{
    private static EventLoopOptions OnIoUring(DispatchMode dispatch = DispatchMode.Auto, IoUringOptions? ioUring = null) => new()
    {
        Backend = PollerBackendKind.IoUring,
        Pollers = 1,
        Connection = new ConnectionOptions { Dispatch = dispatch },
        IoUring = ioUring ?? new IoUringOptions(),
    };

    [Theory]
    [InlineData(DispatchMode.Inline)]
    [InlineData(DispatchMode.ThreadPool)]
    public async Task Receives_land_in_ring_buffers_without_a_read_syscall_and_every_buffer_comes_back(DispatchMode dispatch)
    {
        await using var server = TestServer.Start(new Netpoll.Protocols.EchoHandler(), OnIoUring(dispatch));
        using Socket client = await server.ConnectSocketAsync();
        byte[] message = new byte[64 * 1024];
        Random.Shared.NextBytes(message);
        await client.SendAsync(message);
        Assert.Equal(message, await client.ReceiveExactlyAsync(message.Length));

        await TestServer.Eventually(() => server.Loop.GetStats().Single().ReceiveRingBytes == 0, "every ring buffer went back after the echo");
        PollerStats stats = server.Loop.GetStats().Single();
        Assert.Equal("io_uring", stats.Backend);
        Assert.Equal(0, stats.ReadCalls);
        Assert.Equal(message.Length, stats.BytesIn);
        Assert.Equal(message.Length, stats.BytesOut);
        if (dispatch == DispatchMode.Inline)
        {
            Assert.Equal(0, stats.WriteCalls); // sends went through the ring, in the loop turn's enter
        }
    }

    [Fact]
    public async Task Only_a_connection_left_waiting_on_its_peer_arms_the_hangup_watch_an_echo_never_does()
    {
        // The watch (Connection.HangupWatch.cs) costs a poll per connection and a wake-up callback per arrival: a connection
        // that answers everything it reads must never arm it, so echo and HTTP keep-alive pay nothing per round trip.
        var connections = new System.Collections.Concurrent.ConcurrentDictionary<byte, Connection>();
        await using var server = TestServer.Start(c =>
        {
            byte kind = c.Reader.Peek(1).Span[0];
            connections.TryAdd(kind, c);
            return kind == (byte)'e' ? new Netpoll.Protocols.EchoHandler().OnRequestAsync(c) : default; // 'p': a message never whole
        }, OnIoUring(DispatchMode.Inline));

        using Socket echo = await server.ConnectSocketAsync();
        byte[] message = Encoding.ASCII.GetBytes("echo this");
        for (int i = 0; i < 50; i++)
        {
            await echo.SendAsync(message);
            Assert.Equal(message, await echo.ReceiveExactlyAsync(message.Length));
        }

        using Socket partial = await server.ConnectSocketAsync();
        await partial.SendAsync("part"u8.ToArray());
        await TestServer.Eventually(() => connections.ContainsKey((byte)'p') && connections[(byte)'p'].HangupWatched, "the waiting connection armed the watch");
        Assert.False(connections[(byte)'e'].HangupWatched, "50 echoed round trips armed the watch");

        // The close path's cancel ends the watch too: the fd closes only after its last operation, and the client sees the FIN.
        connections[(byte)'p'].Close();
        Assert.Empty(await partial.ReceiveToEndAsync(timeoutMs: 5000));
        await TestServer.Eventually(() => server.Loop.ConnectionCount == 1, "the waiting connection is gone");
    }

    [Fact]
    public async Task A_connection_the_server_closes_ends_with_a_fin_the_client_sees()
    {
        // close(2) alone would not end the armed multishot receive: the socket would stay open and the client wait.
        await using var server = TestServer.Start(async c =>
        {
            c.Reader.Skip(c.Reader.Length);
            c.Writer.WriteString("bye");
            await c.Writer.FlushAsync();
            c.Close();
        }, OnIoUring(DispatchMode.Inline));
        using Socket client = await server.ConnectSocketAsync();
        await client.SendAsync("hi"u8.ToArray());
        Assert.Equal("bye", Encoding.ASCII.GetString(await client.ReceiveToEndAsync()));
        await TestServer.Eventually(() => server.Loop.ConnectionCount == 0, "the server side is gone");
    }

    [Fact]
    public async Task A_connection_uses_a_registered_file_slot_and_closing_it_empties_the_slot_so_the_socket_closes()
    {
        // A slot holds the socket: one left behind would keep it open after close(fd), and the peer would never see a FIN.
        var sockets = new System.Collections.Concurrent.ConcurrentDictionary<int, string>();
        await using var server = TestServer.Start(c =>
        {
            sockets.TryAdd(c.Fd, File.ResolveLinkTarget($"/proc/self/fd/{c.Fd}", false)!.Name); // "socket:[inode]"
            return new Netpoll.Protocols.EchoHandler().OnRequestAsync(c);
        }, OnIoUring(DispatchMode.Inline));
        List<Socket> clients = await ConnectEchoedAsync(server, 10);

        Assert.Equal(10, sockets.Count);
        string slots = RegisteredFiles();
        Assert.All(sockets.Values, socket => Assert.Contains($": {socket}", slots, StringComparison.Ordinal));

        foreach (Socket client in clients)
        {
            client.Shutdown(SocketShutdown.Send);
            Assert.Empty(await client.ReceiveToEndAsync()); // the server closed: its FIN came, so no slot kept the socket open
            client.Dispose();
        }

        await TestServer.Eventually(() => server.Loop.ConnectionCount == 0, "the server side is gone");
        slots = RegisteredFiles();
        Assert.All(sockets.Values, socket => Assert.DoesNotContain($": {socket}", slots, StringComparison.Ordinal));
    }

    /// <summary><paramref name="count"/> clients, each through one 100-byte echo (so each has had a receive armed and a send done).</summary>
    private static async Task<List<Socket>> ConnectEchoedAsync(TestServer server, int count)
    {
        var clients = new List<Socket>();
        for (int i = 0; i < count; i++)
        {
            Socket client = await server.ConnectSocketAsync();
            await client.SendAsync(new byte[100]);
            await client.ReceiveExactlyAsync(100);
            clients.Add(client);
        }

        return clients;
    }

    /// <summary>The registered-file slots of every io_uring in this process, as the kernel lists them in fdinfo ("  7: socket:[123]").</summary>
    private static string RegisteredFiles() => string.Join('\n', Directory.GetFileSystemEntries("/proc/self/fd").Select(fd =>
    {
        try
        {
            return File.ResolveLinkTarget(fd, false)?.Name.Contains("io_uring", StringComparison.Ordinal) == true
                ? File.ReadAllText($"/proc/self/fdinfo/{Path.GetFileName(fd)}")
                : "";
        }
        catch (IOException)
        {
            return ""; // an fd another test closed meanwhile
        }
    }));

    [Fact]
    public async Task A_send_the_kernel_gives_up_on_with_EAGAIN_is_sent_again_and_the_connection_stays()
    {
        // On a starved machine the kernel may end a send with -EAGAIN once its poll retries run out (liburing#1601):
        // the socket was merely full. The connection must send again, not close with an error (a reset for a peer
        // that still had data in flight). The backend refuses the first send the same way.
        int requests = 0;
        await using var server = TestServer.Start(async c =>
        {
            if (Interlocked.Increment(ref requests) == 1)
            {
                ((IoUringBackend)c.Poller.Completion!).SendsToRefuse = 1; // inline: on the poller thread, as it must be
            }

            using (Netpoll.Buffers.LinkBuffer echo = c.Reader.Slice(c.Reader.Length))
            {
                c.Writer.Append(echo);
            }

            await c.Writer.FlushAsync();
        }, OnIoUring(DispatchMode.Inline));
        using Socket client = await server.ConnectSocketAsync();
        foreach (string message in new[] { "first", "second" })
        {
            await client.SendAsync(Encoding.ASCII.GetBytes(message));
            Assert.Equal(message, Encoding.ASCII.GetString(await client.ReceiveExactlyAsync(message.Length)));
        }

        PollerStats stats = server.Loop.GetStats().Single();
        Assert.Equal(1, server.Loop.ConnectionCount);
        Assert.True(stats.WaitedFlushes >= 1, "the refused send counts as a flush that waited for the socket");
    }

    [Fact]
    public async Task A_ring_too_small_for_its_connections_makes_receives_wait_and_copy_but_loses_nothing()
    {
        var tiny = new IoUringOptions { ReceiveBuffers = 4, ReceiveBufferSize = 256 };
        await using var server = TestServer.Start(new EchoHandler(), OnIoUring(DispatchMode.ThreadPool, tiny));
        var clients = new List<Socket>();
        for (int i = 0; i < 40; i++)
        {
            clients.Add(await server.ConnectSocketAsync());
        }

        byte[][] messages = [.. clients.Select(_ => RandomBytes(20_000))];
        await Task.WhenAll(clients.Select((c, i) => c.SendAsync(messages[i])));
        byte[][] echoed = await Task.WhenAll(clients.Select((c, i) => c.ReceiveExactlyAsync(messages[i].Length, 30_000)));
        for (int i = 0; i < clients.Count; i++)
        {
            Assert.Equal(messages[i], echoed[i]);
        }

        PollerStats stats = server.Loop.GetStats().Single();
        Assert.True(stats.ReceiveRingExhausted > 0, "40 connections sending 20 KB at once ran a ring of 4 × 256 B dry");
        await TestServer.Eventually(() => server.Loop.GetStats().Single().ReceiveRingBytes == 0, "every ring buffer went back");
        clients.ForEach(c => c.Dispose());
    }

    [Fact]
    public async Task Idle_connections_hold_no_ring_buffer_and_no_pool_block()
    {
        await using var server = TestServer.Start(new Netpoll.Protocols.EchoHandler(), OnIoUring());
        List<Socket> clients = await ConnectEchoedAsync(server, 200);

        await TestServer.Eventually(() => server.Loop.GetStats().Single().ReceiveRingBytes == 0, "no ring buffer is held by an idle connection");
        Assert.Equal(200, server.Loop.ConnectionCount);
        Assert.Equal(0, server.Loop.GetBufferStatistics().RentedBlocks);
        clients.ForEach(c => c.Dispose());
    }

    [Fact]
    public async Task Wake_ups_from_other_threads_leave_the_poller_asleep_afterwards()
    {
        // The wake-up is an eventfd under a multishot poll that is never read: each write must fire it once,
        // not leave it firing on every turn.
        await using var server = TestServer.Start(new Netpoll.Protocols.EchoHandler(), OnIoUring());
        var clients = new List<Socket>();
        for (int i = 0; i < 10; i++)
        {
            clients.Add(await server.ConnectSocketAsync());
        }

        await TestServer.Eventually(() => server.Loop.ConnectionCount == 10, "ten are open");
        foreach (Connection connection in server.Loop.GetConnections())
        {
            await Task.Delay(20); // the poller is asleep again before the next
            connection.Close();   // from this thread: posted to the poller, which is woken
        }

        await TestServer.Eventually(() => server.Loop.ConnectionCount == 0, "all closed");
        PollerStats before = server.Loop.GetStats().Single();
        Assert.True(before.Wakeups >= 1, "closing from another thread woke the poller");
        await Task.Delay(500);
        long waits = server.Loop.GetStats().Single().Waits - before.Waits;
        Assert.True(waits < 20, $"the idle poller looped {waits} times in 500 ms after {before.Wakeups} wake-ups");
        clients.ForEach(c => c.Dispose());
    }

    [Fact]
    public async Task Submission_polling_serves_the_same_echo()
    {
        await using var server = TestServer.Start(new Netpoll.Protocols.EchoHandler(), OnIoUring(ioUring: new IoUringOptions { SubmissionPolling = true }));
        using Socket client = await server.ConnectSocketAsync();
        for (int i = 0; i < 20; i++)
        {
            byte[] message = RandomBytes(1 + (i * 997));
            await client.SendAsync(message);
            Assert.Equal(message, await client.ReceiveExactlyAsync(message.Length));
        }
    }

    [Fact]
    public async Task A_poller_the_kernel_refuses_a_ring_runs_on_epoll_and_the_server_says_why()
    {
        // A completion queue 8 × 32768 deep is past the kernel's limit: io_uring_setup fails with EINVAL
        // whatever flags it falls back to, as on a kernel missing a feature.
        var options = OnIoUring(ioUring: new IoUringOptions { SubmissionEntries = 32768 });
        await using var loop = new EventLoop(new Netpoll.Protocols.EchoHandler(), options);
        using var listener = NetpollListener.Create(0);
        _ = loop.ServeAsync(listener);

        Assert.Equal(PollerBackendKind.Epoll, loop.BackendInUse);
        Assert.Contains("could not start io_uring", loop.BackendReason, StringComparison.Ordinal);
        Assert.Contains("MissingFeature", loop.BackendReason, StringComparison.Ordinal);
        Assert.Equal("epoll", loop.GetStats().Single().Backend);
        using var client = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(listener.LocalEndPoint);
        await client.SendAsync("still served"u8.ToArray());
        Assert.Equal("still served", Encoding.ASCII.GetString(await client.ReceiveExactlyAsync(12)));
    }

    [Theory]
    [InlineData(nameof(IoUringUnavailableReason.Denied), 1, "seccomp")]
    [InlineData(nameof(IoUringUnavailableReason.DisabledBySysctl), 1, "io_uring_disabled")]
    [InlineData(nameof(IoUringUnavailableReason.NotImplemented), 38, "ENOSYS")]
    public void Where_io_uring_is_refused_asking_for_it_runs_epoll_and_the_reason_names_the_refusal(string reason, int errno, string named)
    {
        var refusal = Enum.Parse<IoUringUnavailableReason>(reason);
        IoUringSupport support = refusal == IoUringUnavailableReason.DisabledBySysctl
            ? IoUringSupport.FromSetupError(errno, disabledSysctl: 2)
            : IoUringSupport.FromSetupError(errno, disabledSysctl: 0);
        Assert.Equal(refusal, support.Reason);
        foreach (PollerBackendKind asked in new[] { PollerBackendKind.IoUring, PollerBackendKind.Auto })
        {
            BackendChoice choice = BackendSelection.Resolve(asked, new IoUringOptions(), inlineDispatch: true, support);
            Assert.Equal(PollerBackendKind.Epoll, choice.Kind);
            Assert.Contains(named, choice.Reason, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Auto_picks_io_uring_only_where_it_was_measured_to_win()
    {
        IoUringSupport available = IoUringSupport.Available("probed");
        BackendChoice inline = BackendSelection.Resolve(PollerBackendKind.Auto, new IoUringOptions(), inlineDispatch: true, available);
        BackendChoice threadPool = BackendSelection.Resolve(PollerBackendKind.Auto, new IoUringOptions(), inlineDispatch: false, available);
        Assert.Equal(BackendSelection.AutoPrefersIoUringInline ? PollerBackendKind.IoUring : PollerBackendKind.Epoll, inline.Kind);
        Assert.Equal(PollerBackendKind.Epoll, threadPool.Kind);
        Assert.Contains("Auto", threadPool.Reason, StringComparison.Ordinal);
        Assert.Equal(PollerBackendKind.Epoll, BackendSelection.Resolve(PollerBackendKind.Epoll, new IoUringOptions(), inlineDispatch: true, available).Kind);
    }

    [Theory]
    [InlineData(DispatchMode.Inline)]
    [InlineData(DispatchMode.ThreadPool)]
    public async Task TLS_runs_on_the_ring_its_receives_decoded_and_its_records_sent_by_the_ring(DispatchMode dispatch)
    {
        await using var server = TestServer.Start(new Netpoll.Protocols.EchoHandler(), OnIoUring(dispatch) with { Tls = Tls.TlsTestServer.Options });
        Assert.Equal(PollerBackendKind.IoUring, server.Loop.BackendInUse);
        await using System.Net.Security.SslStream client = await Tls.TlsTestServer.ConnectSslStreamAsync(server.EndPoint);
        byte[] message = RandomBytes(64 * 1024);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        await client.WriteAsync(message, cts.Token);
        byte[] echoed = new byte[message.Length];
        await client.ReadExactlyAsync(echoed, cts.Token);
        Assert.Equal(message, echoed);

        await TestServer.Eventually(() => server.Loop.GetStats().Single().ReceiveRingBytes == 0, "every ring buffer went back after the decode");
        PollerStats stats = server.Loop.GetStats().Single();
        Assert.Equal(1, stats.TlsHandshakes);
        Assert.Equal(0, stats.ReadCalls); // the handshake and the records came in ring buffers
        Assert.True(stats.BytesIn > message.Length, $"raw bytes in ({stats.BytesIn}) include the records' overhead");
        if (dispatch == DispatchMode.Inline)
        {
            Assert.Equal(0, stats.WriteCalls); // handshake flights and encrypted echoes went out as ring sends
        }
    }

    [Fact]
    public void TLS_runs_on_io_uring_when_asked_and_Auto_keeps_epoll_for_it()
    {
        IoUringSupport available = IoUringSupport.Available("probed");
        BackendChoice asked = BackendSelection.Resolve(PollerBackendKind.IoUring, new IoUringOptions(), inlineDispatch: true, available);
        Assert.Equal(PollerBackendKind.IoUring, BackendSelection.ForTransform(PollerBackendKind.IoUring, asked).Kind);

        BackendChoice auto = BackendSelection.Resolve(PollerBackendKind.Auto, new IoUringOptions(), inlineDispatch: true, available);
        BackendChoice autoTls = BackendSelection.ForTransform(PollerBackendKind.Auto, auto);
        Assert.Equal(PollerBackendKind.Epoll, autoTls.Kind);
        Assert.Contains("TLS", autoTls.Reason, StringComparison.Ordinal);
    }

    private static byte[] RandomBytes(int length)
    {
        byte[] bytes = new byte[length];
        Random.Shared.NextBytes(bytes);
        return bytes;
    }
}
