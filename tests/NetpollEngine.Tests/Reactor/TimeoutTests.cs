using System.Diagnostics;
using System.Net.Sockets;
using Netpoll.Connections;
using Netpoll.Polling;
using Netpoll.Server;
using Netpoll.Tests.Support;

namespace Netpoll.Tests.Reactor;

public class TimeoutTests
{
    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task An_idle_connection_is_closed_after_the_idle_timeout_and_a_busy_one_is_not(PollerBackendKind backend)
    {
        var echo = new EchoHandler();
        await using var server = TestServer.Start(echo, new EventLoopOptions { Backend = backend, Connection = new ConnectionOptions { IdleTimeout = TimeSpan.FromSeconds(1) } });
        using Socket idle = await server.ConnectSocketAsync();
        using Socket busy = await server.ConnectSocketAsync();
        var clock = Stopwatch.StartNew();

        // Keep one connection busy for twice the timeout (pings 100 ms apart: a 10x margin for a loaded machine).
        for (int i = 0; i < 20; i++)
        {
            await busy.SendAsync(new byte[1]);
            try
            {
                await busy.ReceiveExactlyAsync(1);
            }
            catch (EndOfStreamException)
            {
                throw new Xunit.Sdk.XunitException($"busy closed at {i} after {clock.ElapsedMilliseconds} ms: {string.Join(",", echo.CloseReasons)}");
            }

            await Task.Delay(100);
        }

        byte[] rest = await idle.ReceiveToEndAsync(5000); // EOF: the server closed it
        Assert.Empty(rest);
        Assert.InRange(clock.ElapsedMilliseconds, 900, 10_000);
        Assert.Contains(CloseReason.IdleTimeout, echo.CloseReasons);

        await busy.SendAsync(new byte[1]);
        Assert.Single(await busy.ReceiveExactlyAsync(1));
        Assert.True(server.Loop.GetStats().Sum(s => s.Timeouts) >= 1);
    }

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task A_reader_wait_past_the_read_timeout_throws_TimeoutException_and_the_connection_stays_open(PollerBackendKind backend)
    {
        var outcome = new TaskCompletionSource<Exception?>();
        await using var server = TestServer.Start(async c =>
        {
            try
            {
                await c.Reader.WaitAsync(100); // only 1 byte will come
                outcome.TrySetResult(null);
            }
            catch (Exception ex)
            {
                outcome.TrySetResult(ex);
                c.Writer.WriteString("timeout");
                await c.Writer.FlushAsync();
                c.Reader.Skip(c.Reader.Length);
            }
        }, new EventLoopOptions { Backend = backend, Connection = new ConnectionOptions { ReadTimeout = TimeSpan.FromMilliseconds(200) } });
        using Socket client = await server.ConnectSocketAsync();
        await client.SendAsync(new byte[1]);
        Exception? error = await outcome.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.IsType<TimeoutException>(error);
        Assert.Contains("100 bytes", error!.Message, StringComparison.Ordinal);
        Assert.Equal("timeout", System.Text.Encoding.ASCII.GetString(await client.ReceiveExactlyAsync(7)));
    }

    [Theory]
    [MemberData(nameof(BackendMatrix.Dispatch), MemberType = typeof(BackendMatrix))]
    public async Task A_flush_to_a_peer_that_never_reads_fails_after_the_write_timeout_and_closes_the_connection(PollerBackendKind backend, DispatchMode dispatch)
    {
        var outcome = new TaskCompletionSource<Exception?>();
        var echo = new EchoHandler();
        await using var server = TestServer.Start(async c =>
        {
            try
            {
                // Far more than the socket buffers hold: the flush must wait for the peer.
                byte[] block = new byte[1024 * 1024];
                for (int i = 0; i < 64; i++)
                {
                    c.Writer.WriteBinary(block);
                    await c.Writer.FlushAsync();
                }

                outcome.TrySetResult(null);
            }
            catch (Exception ex)
            {
                outcome.TrySetResult(ex);
            }
        }, new EventLoopOptions { Backend = backend, Connection = new ConnectionOptions { WriteTimeout = TimeSpan.FromMilliseconds(300), Dispatch = dispatch } });
        using Socket client = await server.ConnectSocketAsync();
        client.ReceiveBufferSize = 4096;
        await client.SendAsync(new byte[1]);
        Exception? error = await outcome.Task.WaitAsync(TimeSpan.FromSeconds(10));
        ConnectionClosedException closed = Assert.IsType<ConnectionClosedException>(error);
        Assert.Equal(CloseReason.WriteTimeout, closed.Reason);
        Assert.True(server.Loop.GetStats().Sum(s => s.WaitedFlushes) >= 1);
    }

    [Theory]
    [MemberData(nameof(BackendMatrix.Dispatch), MemberType = typeof(BackendMatrix))]
    public async Task One_large_flush_to_a_peer_that_never_reads_closes_the_connection_at_the_write_timeout(PollerBackendKind backend, DispatchMode dispatch)
    {
        // One flush, then nothing more to write: on io_uring the whole output can sit in one ring send (whose flush has
        // completed), and the deadline must still see those bytes as not taken by the peer.
        var closed = new TaskCompletionSource<CloseReason>(TaskCreationOptions.RunContinuationsAsynchronously);
        byte[] block = new byte[1024 * 1024];
        await using var server = TestServer.Start(async c =>
        {
            c.AddCloseCallback(closing => closed.TrySetResult(closing.CloseReason));
            c.Reader.Skip(c.Reader.Length);
            for (int i = 0; i < 16; i++)
            {
                c.Writer.WriteBinary(block); // far more than the socket buffers hold
            }

            try
            {
                await c.Writer.FlushAsync();
            }
            catch (ConnectionClosedException)
            {
                // epoll: the flush itself waited and failed at the deadline
            }
        }, new EventLoopOptions { Backend = backend, Connection = new ConnectionOptions { WriteTimeout = TimeSpan.FromMilliseconds(300), Dispatch = dispatch } });
        using var client = new Socket(SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 4096 };
        await client.ConnectAsync(server.EndPoint);
        await client.SendAsync(new byte[1]);

        CloseReason reason = await closed.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(CloseReason.WriteTimeout, reason);
        await TestServer.Eventually(() => server.Loop.ConnectionCount == 0 && server.Loop.GetBufferStatistics().RentedBlocks == 0, "the connection and its 16 MiB are gone");
    }
}
