using System.Net.Sockets;
using Netpoll.Buffers;
using Netpoll.Connections;
using Netpoll.Diagnostics;
using Netpoll.Polling;
using Netpoll.Server;
using Netpoll.Tests.Support;

namespace Netpoll.Tests.Reactor;

public class BackpressureTests
{
    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task A_peer_that_sends_and_never_reads_cannot_grow_server_memory_without_bound(PollerBackendKind backend)
    {
        const int highWater = 256 * 1024;
        await using var server = TestServer.Start(new EchoHandler(), new EventLoopOptions
        {
            Backend = backend,
            Pollers = 1,
            Connection = new ConnectionOptions { InputHighWaterMark = highWater, InputLowWaterMark = 64 * 1024 },
        });
        using Socket client = await server.ConnectSocketAsync();
        byte[] chunk = new byte[64 * 1024];
        long sent = 0;

        // Non-blocking sends count exactly what the kernel took. Done when the server has paused and the
        // kernel has taken nothing for 500 ms (a stall alone is not enough: on a loaded machine the poller
        // may not have run yet). Bounded: 64 MiB or 20 s.
        client.Blocking = false;
        var stalledSince = System.Diagnostics.Stopwatch.StartNew();
        var total = System.Diagnostics.Stopwatch.StartNew();
        while (sent < 64L * 1024 * 1024 && total.ElapsedMilliseconds < 20_000
            && !(stalledSince.ElapsedMilliseconds >= 500 && server.Loop.GetStats().Single().Paused == 1))
        {
            try
            {
                sent += client.Send(chunk);
                stalledSince.Restart();
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.WouldBlock)
            {
                await Task.Delay(20);
            }
        }

        client.Blocking = true;
        PollerStats stats = server.Loop.GetStats().Single();
        BufferPoolStatistics memory = server.Loop.GetBufferStatistics();
        Assert.Equal(1, stats.Paused);
        Assert.True(sent > 4 * 1024 * 1024, $"the client pushed {sent} bytes before the kernel buffers filled");
        // Input stops at the high-water mark; the echo's pending output adds at most as much again. On io_uring
        // some of it sits in receive-ring buffers rather than the pool: those count too.
        long held = memory.RentedBytes + stats.ReceiveRingBytes;
        Assert.True(held < 3 * highWater, $"server holds {memory.RentedBytes} bytes of pool buffers and {stats.ReceiveRingBytes} of ring buffers after the client pushed {sent}");
        Assert.True(stats.BytesIn < sent, "the server stopped reading before it had everything");

        // Once the client reads again, everything flows and reading resumes.
        client.Shutdown(SocketShutdown.Send);
        byte[] all = await client.ReceiveToEndAsync(30_000);
        Assert.Equal(sent, all.Length);
        Assert.Equal(0, server.Loop.GetStats().Single().Paused);
    }
}
