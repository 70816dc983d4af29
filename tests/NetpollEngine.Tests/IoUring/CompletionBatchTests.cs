using System.Net.Sockets;
using Netpoll.Connections;
using Netpoll.Interop;
using Netpoll.Polling;
using Netpoll.Server;
using Netpoll.Tests.Support;

namespace Netpoll.Tests.IoUring;

/// <summary>
/// <see cref="IoUringOptions.CompletionBatch"/>: a sleeping io_uring poller waits for several completions, bounded by
/// the kernel's min-wait. Whatever the backend, a server with it set loses no message and strands no connection —
/// a lone request-response connection included, whose completions never fill a batch.
/// </summary>
public class CompletionBatchTests
{
    private static readonly IoUringOptions s_batched = new() { CompletionBatch = 32, CompletionBatchWait = TimeSpan.FromMicroseconds(200) };

    private static EventLoopOptions Batched(PollerBackendKind backend, DispatchMode dispatch) => new()
    {
        Backend = backend,
        Pollers = 1,
        Connection = new ConnectionOptions { Dispatch = dispatch },
        IoUring = s_batched,
    };

    [Theory]
    [MemberData(nameof(BackendMatrix.Dispatch), MemberType = typeof(BackendMatrix))]
    public async Task A_lone_connection_gets_every_reply_though_its_completions_never_fill_a_batch(PollerBackendKind backend, DispatchMode dispatch)
    {
        await using var server = TestServer.Start(new Netpoll.Protocols.EchoHandler(), Batched(backend, dispatch));
        using Socket client = await server.ConnectSocketAsync();
        for (int i = 0; i < 200; i++)
        {
            byte[] message = RandomBytes(1 + (i * 37 % 3000));
            await client.SendAsync(message);
            Assert.Equal(message, await client.ReceiveExactlyAsync(message.Length));
        }
    }

    [Theory]
    [MemberData(nameof(BackendMatrix.Dispatch), MemberType = typeof(BackendMatrix))]
    public async Task Many_connections_at_once_lose_nothing(PollerBackendKind backend, DispatchMode dispatch)
    {
        await using var server = TestServer.Start(new Netpoll.Protocols.EchoHandler(), Batched(backend, dispatch));
        var clients = new List<Socket>();
        for (int i = 0; i < 100; i++)
        {
            clients.Add(await server.ConnectSocketAsync());
        }

        await Task.WhenAll(clients.Select(async client =>
        {
            for (int round = 0; round < 20; round++)
            {
                byte[] message = RandomBytes(1024);
                await client.SendAsync(message);
                Assert.Equal(message, await client.ReceiveExactlyAsync(message.Length));
            }
        }));

        clients.ForEach(c => c.Dispose());
        await TestServer.Eventually(() => server.Loop.ConnectionCount == 0, "every connection closed on the server");
    }

    [Fact]
    public async Task On_io_uring_the_poller_waits_for_the_batch_the_kernel_can_bound()
    {
        IoUringWaitBatch? inUse = null;
        IoUringFeatures features = 0;
        await using var server = TestServer.Start(c =>
        {
            var backend = (IoUringBackend)c.Poller.Completion!; // inline: on the poller thread
            inUse = backend.Batch;
            features = backend.Features;
            return new Netpoll.Protocols.EchoHandler().OnRequestAsync(c);
        }, Batched(PollerBackendKind.IoUring, DispatchMode.Inline));
        using Socket client = await server.ConnectSocketAsync();
        await client.SendAsync(new byte[10]);
        await client.ReceiveExactlyAsync(10);

        IoUringWaitBatch expected = (features & IoUringFeatures.MinTimeout) != 0 ? new IoUringWaitBatch(32, 200) : IoUringWaitBatch.None;
        Assert.Equal(expected, inUse);
    }

    [Fact]
    public void A_kernel_without_min_wait_gets_no_batch_since_nothing_would_bound_the_wait()
    {
        const IoUringFeatures WithoutMinWait = IoUringFeatures.NoDrop | IoUringFeatures.FastPoll | IoUringFeatures.ExtArg;
        Assert.Equal(IoUringWaitBatch.None, IoUringWaitBatch.For(s_batched, WithoutMinWait));
        Assert.Equal(new IoUringWaitBatch(32, 200), IoUringWaitBatch.For(s_batched, WithoutMinWait | IoUringFeatures.MinTimeout));
        Assert.Equal(IoUringWaitBatch.None, IoUringWaitBatch.For(new IoUringOptions(), WithoutMinWait | IoUringFeatures.MinTimeout));
        // A wait under a microsecond rounds up: the kernel counts whole microseconds, and 0 would switch the bound off.
        Assert.Equal(2u, IoUringWaitBatch.For(s_batched with { CompletionBatchWait = TimeSpan.FromTicks(15) }, IoUringFeatures.MinTimeout).WaitMicroseconds);
    }

    [Theory]
    [InlineData(0, 50.0, "CompletionBatch")]
    [InlineData(-1, 50.0, "CompletionBatch")]
    [InlineData(4097, 50.0, "CompletionBatch")]
    [InlineData(32, 0.0, "CompletionBatchWait")]
    [InlineData(32, -5.0, "CompletionBatchWait")]
    [InlineData(32, 10_001.0, "CompletionBatchWait")]
    public void Bad_batch_settings_are_rejected_with_what_is_allowed(int batch, double waitUs, string parameter)
    {
        var options = new EventLoopOptions { IoUring = new IoUringOptions { CompletionBatch = batch, CompletionBatchWait = TimeSpan.FromMicroseconds(waitUs) } };
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new EventLoop(new Netpoll.Protocols.EchoHandler(), options));
        Assert.Equal(parameter, ex.ParamName);
        Assert.Contains("must be between", ex.Message, StringComparison.Ordinal);
    }

    private static byte[] RandomBytes(int count)
    {
        byte[] bytes = new byte[count];
        Random.Shared.NextBytes(bytes);
        return bytes;
    }
}
