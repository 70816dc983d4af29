using System.Collections.Concurrent;
using System.Net.Sockets;
using Netpoll.Buffers;
using Netpoll.Connections;
using Netpoll.Diagnostics;
using Netpoll.Polling;
using Netpoll.Server;
using Netpoll.Tests.Support;

namespace Netpoll.Tests.Reactor;

/// <summary>
/// Faults that land while I/O is in flight, on every backend. On io_uring "in flight" means in the kernel: a send
/// queued in the ring, multishot receives whose provided buffers sit in connections' input, receives parked on a
/// dry buffer ring, completions that overflow the CQ. Each ends with every buffer back (pool and receive ring)
/// and the server still serving.
/// </summary>
public class InFlightFaultTests
{
    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task A_peer_that_resets_while_a_send_is_queued_closes_its_connection_and_every_buffer_comes_back(PollerBackendKind backend)
    {
        // 16 MiB is more than a loopback socket buffers (tcp_wmem tops out at 4 MiB): the send stays queued.
        byte[] megabyte = new byte[1 << 20];
        var flushing = new TaskCompletionSource<Task>(TaskCreationOptions.RunContinuationsAsynchronously);
        var reasons = new ConcurrentQueue<CloseReason>();
        await using var server = TestServer.Start(new ActionHandler(reasons, async c =>
        {
            bool big = c.Reader.Next(1).Span[0] == (byte)'B';
            c.Reader.Skip(c.Reader.Length);
            if (!big)
            {
                c.Writer.WriteString("ok");
                await c.Writer.FlushAsync();
                return;
            }

            for (int i = 0; i < 16; i++)
            {
                c.Writer.WriteBinary(megabyte);
            }

            Task flush = c.Writer.FlushAsync().AsTask();
            flushing.TrySetResult(flush);
            await flush;
        }), BackendMatrix.Server(backend) with { Pollers = 1 });

        Socket reader = new(SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 4096 };
        await reader.ConnectAsync(server.EndPoint);
        await reader.SendAsync("B"u8.ToArray());
        Task flush = await flushing.Task.WaitAsync(TimeSpan.FromSeconds(10));
        int polls = 0;

        // The socket is full when the bytes out stop growing short of 16 MiB: the rest waits, on io_uring as a send
        // in the ring (whose FlushAsync may already have completed: the ring holds its bytes), on epoll behind write
        // interest with the flush pending.
        long sent = 0;
        for (long before = -1; sent == 0 || sent != before; await Task.Delay(200)) // bounded: 50 × 200 ms
        {
            Assert.True(++polls <= 50, $"the bytes out never stopped growing ({sent})");
            before = sent;
            sent = server.Loop.GetStats().Single().BytesOut;
        }

        Assert.True(sent < 16 << 20, $"all {sent} bytes went out though the peer read nothing");

        reader.LingerState = new LingerOption(true, 0);
        reader.Dispose(); // RST with the send still queued

        await Task.WhenAny(flush, Task.Delay(10_000));
        Assert.True(flush.IsCompleted, "the flush still waits after the peer reset");
        await TestServer.Eventually(() => reasons.Count == 1, "the reset connection closed");
        Assert.Equal(CloseReason.Error, Assert.Single(reasons));
        await AssertEveryBufferBackAsync(server);

        using Socket next = await server.ConnectSocketAsync();
        await next.SendAsync("s"u8.ToArray());
        Assert.Equal("ok"u8.ToArray(), await next.ReceiveExactlyAsync(2));
    }

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task Resets_of_many_connections_whose_unread_input_holds_ring_buffers_give_every_buffer_back(PollerBackendKind backend)
    {
        const int Count = 200;
        var reasons = new ConcurrentQueue<CloseReason>();
        // The handler reads nothing: each connection's input keeps what arrived (ring buffers, zero copy, on io_uring).
        await using var server = TestServer.Start(new ActionHandler(reasons, _ => default), BackendMatrix.Server(backend) with { Pollers = 1 });
        Socket[] clients = await Task.WhenAll(Enumerable.Range(0, Count).Select(_ => server.ConnectSocketAsync()));
        await Task.WhenAll(clients.Select(c => c.SendAsync(new byte[3000])));
        await TestServer.Eventually(() => server.Loop.GetStats().Single().BufferBytes == Count * 3000L, "every connection holds its 3000 bytes unread", 20_000);
        if (backend == PollerBackendKind.IoUring)
        {
            Assert.True(server.Loop.GetStats().Single().ReceiveRingBytes > 0, "the unread input sits in receive-ring buffers");
        }

        foreach (Socket client in clients)
        {
            client.LingerState = new LingerOption(true, 0);
            client.Dispose(); // all at once: the multishot receives end while their connections hold buffers
        }

        await TestServer.Eventually(() => reasons.Count == Count, $"all {Count} reset connections closed", 20_000);
        Assert.All(reasons, r => Assert.Contains(r, new[] { CloseReason.Error, CloseReason.PeerClosed }));
        await AssertEveryBufferBackAsync(server);

        // The ring serves again: a new connection's bytes arrive.
        using Socket next = await server.ConnectSocketAsync();
        await next.SendAsync(new byte[100]);
        await TestServer.Eventually(() => server.Loop.GetStats().Single().BufferBytes == 100, "a new connection's bytes arrived");
    }

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task Slow_readers_that_hold_a_small_receive_ring_dry_stay_bounded_and_others_are_served(PollerBackendKind backend)
    {
        const int Slow = 6;
        const int HighWater = 64 * 1024;
        var options = BackendMatrix.Server(backend) with
        {
            Pollers = 1,
            Connection = new ConnectionOptions { InputHighWaterMark = HighWater, InputLowWaterMark = 16 * 1024 },
            IoUring = new IoUringOptions { ReceiveBuffers = 16, ReceiveBufferSize = 4096 }, // 64 KiB: less than one paused reader may hold
        };
        await using var server = TestServer.Start(new EchoHandler(), options);
        var slow = new List<Socket>();
        for (int i = 0; i < Slow; i++)
        {
            Socket s = new(SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 4096 };
            await s.ConnectAsync(server.EndPoint);
            s.Blocking = false;
            slow.Add(s);
        }

        // Each pushes echo requests and reads no echo, until the server has paused every one of them and the kernel has
        // taken nothing for 300 ms. Bounded: 24 MiB each, 30 s in all.
        byte[] chunk = new byte[64 * 1024];
        long[] sent = new long[Slow];
        var quiet = System.Diagnostics.Stopwatch.StartNew();
        var total = System.Diagnostics.Stopwatch.StartNew();
        while (total.ElapsedMilliseconds < 30_000 && !(quiet.ElapsedMilliseconds >= 300 && server.Loop.GetStats().Single().Paused == Slow))
        {
            bool took = false;
            for (int i = 0; i < Slow; i++)
            {
                try
                {
                    if (sent[i] < 24L << 20)
                    {
                        sent[i] += slow[i].Send(chunk);
                        took = true;
                    }
                }
                catch (SocketException e) when (e.SocketErrorCode == SocketError.WouldBlock)
                {
                }
            }

            if (took)
            {
                quiet.Restart();
            }
            else
            {
                await Task.Delay(20);
            }
        }

        PollerStats stats = server.Loop.GetStats().Single();
        Assert.Equal(Slow, stats.Paused);
        long held = server.Loop.GetBufferStatistics().RentedBytes + stats.ReceiveRingBytes;
        Assert.True(held < Slow * 3L * HighWater, $"{Slow} slow readers make the server hold {held} bytes ({stats.ReceiveRingBytes} in ring buffers) after sending {sent.Sum()}");
        if (backend == PollerBackendKind.IoUring)
        {
            Assert.True(stats.ReceiveRingExhausted > 0, "the slow readers ran the 16-buffer ring dry");
        }

        // Another client is served while the slow ones hold the ring: its receive is re-armed when buffers come back,
        // or its bytes are copied out of them.
        using Socket healthy = await server.ConnectSocketAsync();
        for (int round = 0; round < 5; round++)
        {
            byte[] message = new byte[1000 + round];
            Random.Shared.NextBytes(message);
            await healthy.SendAsync(message);
            Assert.Equal(message, await healthy.ReceiveExactlyAsync(message.Length));
        }

        // Once they read, every slow reader gets every byte back, and every buffer goes back.
        Task<byte[]>[] echoes = [.. slow.Select(s =>
        {
            s.Blocking = true;
            s.Shutdown(SocketShutdown.Send);
            return s.ReceiveToEndAsync(60_000);
        })];
        byte[][] back = await Task.WhenAll(echoes);
        for (int i = 0; i < Slow; i++)
        {
            Assert.Equal(sent[i], back[i].Length);
        }

        slow.ForEach(s => s.Dispose());
        await AssertEveryBufferBackAsync(server, connections: 1);
    }

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task Stopping_while_sends_and_receives_are_in_flight_ends_in_bounded_time_with_every_buffer_back(PollerBackendKind backend)
    {
        byte[] megabyte = new byte[1 << 20];
        int bigSends = 0;
        var server = TestServer.Start(new ActionHandler(new ConcurrentQueue<CloseReason>(), async c =>
        {
            if (c.Reader.Next(1).Span[0] != (byte)'B')
            {
                c.Reader.Skip(c.Reader.Length); // a streaming client: keep receiving
                return;
            }

            c.Reader.Skip(c.Reader.Length);
            for (int i = 0; i < 8; i++)
            {
                c.Writer.WriteBinary(megabyte);
            }

            Interlocked.Increment(ref bigSends);
            await c.Writer.FlushAsync(); // never done: its reader reads nothing
        }), BackendMatrix.Server(backend) with { Pollers = 1 });

        var clients = new List<Socket>();
        for (int i = 0; i < 10; i++)
        {
            Socket s = new(SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 4096 };
            await s.ConnectAsync(server.EndPoint);
            await s.SendAsync("B"u8.ToArray());
            clients.Add(s);
        }

        using var streaming = new CancellationTokenSource();
        var streams = new List<Task>();
        for (int i = 0; i < 10; i++)
        {
            Socket s = await server.ConnectSocketAsync();
            clients.Add(s);
            streams.Add(Task.Run(async () =>
            {
                byte[] data = new byte[16 * 1024];
                data[0] = (byte)'S';
                try
                {
                    while (!streaming.IsCancellationRequested)
                    {
                        await s.SendAsync(data, SocketFlags.None, streaming.Token);
                    }
                }
                catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
                {
                    // the server reset it at its shutdown deadline, or the test is done
                }
            }));
        }

        await TestServer.Eventually(() => Volatile.Read(ref bigSends) == 10, "ten 8 MiB sends are queued");
        await TestServer.Eventually(() => server.Loop.GetStats().Single().BytesIn > 10 * 16 * 1024, "the streams are flowing");

        var clock = System.Diagnostics.Stopwatch.StartNew();
        await server.Loop.ShutdownAsync(TimeSpan.FromMilliseconds(300)).WaitAsync(TimeSpan.FromSeconds(15));
        long stopMs = clock.ElapsedMilliseconds;
        await streaming.CancelAsync();
        await Task.WhenAll(streams).WaitAsync(TimeSpan.FromSeconds(10));
        clients.ForEach(s => s.Dispose());

        Assert.Equal(EventLoopState.Stopped, server.Loop.State);
        // The 300 ms deadline resets what is left, then the ring drains: every operation ended, none abandoned.
        Assert.True(stopMs < 10_000, $"the stop took {stopMs} ms");
        Assert.Equal(0, server.Loop.ConnectionCount);
        // A handler call the stop cut short may still be ending on the pool (its flush failing), holding its blocks until
        // it returns: a bounded wait (it read 6 blocks once, under load, at the instant of the stop).
        await AssertEveryBufferBackAsync(server);
        Assert.Equal(0, IoUringBackend.AbandonedSlabs);
    }

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task A_completion_queue_too_small_for_a_burst_loses_no_completion(PollerBackendKind backend)
    {
        // 4 submission entries give a 32-entry CQ; 200 connections echoing at once post far more per turn.
        const int Count = 200;
        long overflowed = 0;
        var reasons = new ConcurrentQueue<CloseReason>();
        var echo = new EchoHandler();
        await using var server = TestServer.Start(new ActionHandler(reasons, c =>
        {
            if (c.Poller.Completion is IoUringBackend ring)
            {
                Interlocked.Exchange(ref overflowed, ring.OverflowedTurns); // poller thread: the handler runs inline
            }

            return echo.OnRequestAsync(c);
        }), BackendMatrix.Server(backend) with
        {
            Pollers = 1,
            Connection = new ConnectionOptions { Dispatch = DispatchMode.Inline },
            IoUring = new IoUringOptions { SubmissionEntries = 4 },
        });

        Socket[] clients = await Task.WhenAll(Enumerable.Range(0, Count).Select(_ => server.ConnectSocketAsync()));
        for (int round = 0; round < 5; round++)
        {
            byte[][] messages = [.. clients.Select((_, i) => MessageFor(round, i))];
            await Task.WhenAll(clients.Select((c, i) => c.SendAsync(messages[i])));
            byte[][] echoed = await Task.WhenAll(clients.Select((c, i) => c.ReceiveExactlyAsync(messages[i].Length, 30_000)));
            for (int i = 0; i < Count; i++)
            {
                Assert.Equal(messages[i], echoed[i]);
            }
        }

        if (backend == PollerBackendKind.IoUring)
        {
            Assert.True(Interlocked.Read(ref overflowed) > 0, "the bursts overflowed the 32-entry completion queue");
        }

        Assert.Empty(reasons); // no connection was lost to a missing completion
        Array.ForEach(clients, c => c.Dispose());
        await AssertEveryBufferBackAsync(server);
    }

    private static byte[] MessageFor(int round, int connection)
    {
        byte[] message = new byte[100 + ((round * 7919 + connection * 104729) % 9000)];
        new Random(round * 1000 + connection).NextBytes(message);
        return message;
    }

    /// <summary>Waits (bounded) until only <paramref name="connections"/> remain and no buffer is held: pool blocks and receive-ring buffers.</summary>
    private static async Task AssertEveryBufferBackAsync(TestServer server, int connections = 0)
    {
        await TestServer.Eventually(() => server.Loop.ConnectionCount == connections, $"{connections} connections remain", 20_000);
        await TestServer.Eventually(
            () => server.Loop.GetStats().Sum(s => s.ReceiveRingBytes) == 0 && server.Loop.GetBufferStatistics().RentedBlocks == 0,
            "every pool block and receive-ring buffer went back",
            20_000);
    }

    /// <summary>A handler from a delegate that records why each connection closed.</summary>
    private sealed class ActionHandler(ConcurrentQueue<CloseReason> reasons, Func<Connection, ValueTask> onRequest) : ConnectionHandler
    {
        public override void OnPrepare(Connection connection) => connection.AddCloseCallback(c => reasons.Enqueue(c.CloseReason));

        public override ValueTask OnRequestAsync(Connection connection) => onRequest(connection);
    }
}
