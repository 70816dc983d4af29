using System.Net;
using System.Net.Sockets;
using Netpoll.Connections;
using Netpoll.Polling;
using Netpoll.Server;
using Netpoll.Tests.Support;

namespace Netpoll.Tests.Reactor;

[Collection(ProcessWideCollection.Name)]
public class LifecycleTests
{
    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task A_hundred_start_stop_cycles_leak_no_fd_and_no_poller_thread(PollerBackendKind backend)
    {
        // One warm-up cycle so lazily created runtime fds (sockets engine, etc.) are counted in the baseline.
        await OneCycle(backend);
        int fdsBefore = ProcessResources.OpenFds;
        int ringsBefore = ProcessResources.IoUringMappings;
        for (int i = 0; i < 100; i++)
        {
            await OneCycle(backend);
        }

        await TestServer.Eventually(() => ProcessResources.PollerThreads == 0, "every poller thread has exited");
        int fdsAfter = ProcessResources.OpenFds;
        Assert.True(fdsAfter <= fdsBefore + 2, $"fds before {fdsBefore}, after 100 cycles {fdsAfter}");
        Assert.True(ProcessResources.IoUringMappings <= ringsBefore, $"io_uring mappings before {ringsBefore}, after 100 cycles {ProcessResources.IoUringMappings}");
    }

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task Shutdown_under_load_loses_no_in_flight_response_before_the_deadline(PollerBackendKind backend)
    {
        int started = 0;
        var server = TestServer.Start(async c =>
        {
            int n = c.Reader.Length;
            Interlocked.Increment(ref started);
            await Task.Delay(300); // a slow request in flight when shutdown begins
            c.Writer.WriteBinary(c.Reader.Next(n).Span);
            await c.Writer.FlushAsync();
        }, new EventLoopOptions { Backend = backend, Pollers = 2 });
        var clients = new List<Socket>();
        for (int i = 0; i < 50; i++)
        {
            Socket s = await server.ConnectSocketAsync();
            await s.SendAsync(BitConverter.GetBytes(i));
            clients.Add(s);
        }

        await TestServer.Eventually(() => Volatile.Read(ref started) == 50, "all 50 requests are in flight");
        Task shutdown = server.Loop.ShutdownAsync(TimeSpan.FromSeconds(10));

        for (int i = 0; i < 50; i++)
        {
            byte[] reply = await clients[i].ReceiveToEndAsync(); // the reply, then the server's close
            Assert.Equal(BitConverter.GetBytes(i), reply);
        }

        await shutdown.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(EventLoopState.Stopped, server.Loop.State);
        Assert.Equal(0, server.Loop.ConnectionCount);
        clients.ForEach(s => s.Dispose());
        await Assert.ThrowsAnyAsync<SocketException>(async () => { using Socket late = await server.ConnectSocketAsync(); });
    }

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task At_the_deadline_shutdown_resets_connections_whose_handlers_do_not_finish(PollerBackendKind backend)
    {
        int running = 0;
        var server = TestServer.Start(async c =>
        {
            Interlocked.Exchange(ref running, 1);
            try
            {
                await c.Reader.WaitAsync(1_000_000); // never satisfied
            }
            catch (ConnectionClosedException)
            {
            }
        }, BackendMatrix.Server(backend));
        using Socket client = await server.ConnectSocketAsync();
        await client.SendAsync(new byte[] { 1 });
        await TestServer.Eventually(() => Volatile.Read(ref running) == 1, "the handler is running");

        var clock = System.Diagnostics.Stopwatch.StartNew();
        await server.Loop.ShutdownAsync(TimeSpan.FromMilliseconds(300)).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.InRange(clock.ElapsedMilliseconds, 250, 5000);
        Assert.Equal(EventLoopState.Stopped, server.Loop.State);
        await Assert.ThrowsAnyAsync<Exception>(async () => { byte[] rest = await client.ReceiveToEndAsync(); if (rest.Length == 0) throw new EndOfStreamException(); });
    }

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task Connections_past_MaxConnections_are_refused_and_counted(PollerBackendKind backend)
    {
        await using var server = TestServer.Start(new EchoHandler(), new EventLoopOptions { Backend = backend, MaxConnections = 2 });
        using Socket a = await server.ConnectSocketAsync();
        using Socket b = await server.ConnectSocketAsync();
        await TestServer.Eventually(() => server.Loop.ConnectionCount == 2, "two are open");
        // The refusal (a reset) surfaces at connect or at the first read, depending on timing.
        await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            using Socket c = await server.ConnectSocketAsync();
            await c.SendAsync(new byte[1]);
            byte[] r = await c.ReceiveToEndAsync();
            if (r.Length == 0)
            {
                throw new EndOfStreamException("closed without a reply");
            }
        });
        await TestServer.Eventually(() => server.Loop.RejectedConnections == 1, "the third is refused and counted");
        Assert.Equal(2, server.Loop.ConnectionCount);
        await a.SendAsync(new byte[] { 5 });
        Assert.Equal(5, (await a.ReceiveExactlyAsync(1))[0]);
    }

    [Fact]
    public void Bad_options_are_rejected_with_a_message_that_says_what_is_allowed()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new EventLoop(new EchoHandler(), new EventLoopOptions { Pollers = 0 }));
        Assert.Contains("between 1 and 1024", ex.Message, StringComparison.Ordinal);
        ex = Assert.Throws<ArgumentOutOfRangeException>(() => new EventLoop(new EchoHandler(), new EventLoopOptions { Connection = new ConnectionOptions { InputLowWaterMark = 10, InputHighWaterMark = 5 } }));
        Assert.Contains("InputHighWaterMark", ex.Message, StringComparison.Ordinal);
        ex = Assert.Throws<ArgumentOutOfRangeException>(() => new EventLoop(new EchoHandler(), new EventLoopOptions { IoUring = new IoUringOptions { ReceiveBuffers = 1000 } }));
        Assert.Contains("power of two", ex.Message, StringComparison.Ordinal);
        ex = Assert.Throws<ArgumentOutOfRangeException>(() => new EventLoop(new EchoHandler(), new EventLoopOptions { Backend = (PollerBackendKind)42 }));
        Assert.Contains("Auto, Epoll, Kqueue or IoUring", ex.Message, StringComparison.Ordinal);
        using var taken = NetpollListener.Create(0);
        var inUse = Assert.Throws<SocketException>(() => NetpollListener.Create(taken.LocalEndPoint));
        Assert.Equal(SocketError.AddressAlreadyInUse, inUse.SocketErrorCode);
        Assert.Contains(taken.LocalEndPoint.ToString()!, inUse.Message, StringComparison.Ordinal);
    }

    private static async Task OneCycle(PollerBackendKind backend)
    {
        await using var server = TestServer.Start(new EchoHandler(), new EventLoopOptions { Backend = backend, Pollers = 2 });
        using Socket client = await server.ConnectSocketAsync();
        await client.SendAsync(new byte[] { 1, 2, 3 });
        Assert.Equal(3, (await client.ReceiveExactlyAsync(3)).Length);
    }
}
