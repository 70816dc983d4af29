using System.Net.Sockets;
using Netpoll.Connections;
using Netpoll.Polling;
using Netpoll.Server;
using Netpoll.Tests.Support;

namespace Netpoll.Tests.Reactor;

public class DispatchContractTests
{
    [Theory]
    [MemberData(nameof(BackendMatrix.Dispatch), MemberType = typeof(BackendMatrix))]
    public async Task A_handler_that_leaves_input_unread_is_called_once_per_arrival_not_in_a_loop(PollerBackendKind backend, DispatchMode dispatch)
    {
        int calls = 0;
        await using var server = TestServer.Start(
            _ => { Interlocked.Increment(ref calls); return default; },
            new EventLoopOptions { Backend = backend, Pollers = 1, Connection = new ConnectionOptions { Dispatch = dispatch } });
        using Socket client = await server.ConnectSocketAsync();

        await client.SendAsync(new byte[] { 1 });
        await TestServer.Eventually(() => Volatile.Read(ref calls) == 1, "the handler ran for the first byte");
        await Task.Delay(200);
        Assert.Equal(1, Volatile.Read(ref calls));

        await client.SendAsync(new byte[] { 2 });
        await TestServer.Eventually(() => Volatile.Read(ref calls) == 2, "the handler ran again for new bytes");
        await Task.Delay(200);
        Assert.Equal(2, Volatile.Read(ref calls));
    }

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task Pipelined_messages_are_handled_one_call_each_until_the_input_is_consumed(PollerBackendKind backend)
    {
        var seen = new List<string>();
        await using var server = TestServer.Start(async c =>
        {
            // Reads exactly one line per call, leaving the rest for the next call.
            int at = c.Reader.IndexOf((byte)'\n');
            if (at < 0)
            {
                return;
            }

            string line = c.Reader.ReadString(at + 1);
            lock (seen)
            {
                seen.Add(line.TrimEnd());
            }

            c.Writer.WriteString(line);
            await c.Writer.FlushAsync();
        }, BackendMatrix.Server(backend));
        using Socket client = await server.ConnectSocketAsync();
        await client.SendAsync("a\nb\nc\n"u8.ToArray());
        byte[] reply = await client.ReceiveExactlyAsync(6);
        Assert.Equal("a\nb\nc\n", System.Text.Encoding.ASCII.GetString(reply));
        Assert.Equal(["a", "b", "c"], seen);
    }

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task Callbacks_run_in_netpoll_order_and_exactly_once(PollerBackendKind backend)
    {
        var events = new List<string>();
        var handler = new RecordingHandler(events);
        await using var server = TestServer.Start(handler, BackendMatrix.Server(backend));
        using (Socket client = await server.ConnectSocketAsync())
        {
            await client.SendAsync("x"u8.ToArray());
            await client.ReceiveExactlyAsync(1);
        }

        await TestServer.Eventually(() => { lock (events) { return events.Contains("close-callback"); } }, "the close callback ran");
        lock (events)
        {
            Assert.Equal(["prepare", "connect", "request", "disconnect", "close-callback"], events);
        }
    }

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task A_connection_whose_OnPrepare_throws_is_closed_without_OnConnect_and_its_close_callbacks_run(PollerBackendKind backend)
    {
        var events = new List<string>();
        var handler = new RecordingHandler(events, throwOnPrepare: true);
        await using var server = TestServer.Start(handler, BackendMatrix.Server(backend));
        using (Socket client = await server.ConnectSocketAsync())
        {
            Assert.Equal(0, await client.ReceiveAsync(new byte[1], SocketFlags.None)); // closed by the server
        }

        await TestServer.Eventually(() => { lock (events) { return events.Contains("close-callback"); } }, "the close callback ran");
        lock (events)
        {
            Assert.Equal(["prepare", "close-callback"], events);
        }
    }

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task An_inline_handler_hears_the_peers_end_once_on_the_poller_before_the_close_callbacks_and_its_throw_is_contained(PollerBackendKind backend)
    {
        // OnDisconnect runs in the close path itself for an inline handler: a throw there must not take the poller (or
        // the close callbacks, or the next connection) with it.
        var events = new List<string>();
        var handler = new RecordingHandler(events, throwOnDisconnect: true);
        await using var server = TestServer.Start(handler, BackendMatrix.Server(backend) with
        {
            Pollers = 1,
            Connection = new ConnectionOptions { Dispatch = DispatchMode.Inline },
        });
        for (int i = 0; i < 2; i++)
        {
            using (Socket client = await server.ConnectSocketAsync())
            {
                await client.SendAsync("x"u8.ToArray());
                Assert.Equal((byte)'x', (await client.ReceiveExactlyAsync(1))[0]);
            }

            int closes = i + 1;
            await TestServer.Eventually(() => { lock (events) { return events.Count(e => e == "close-callback") == closes; } }, $"close callback {closes} ran");
        }

        lock (events)
        {
            string[] expected = ["prepare", "connect", "request", "disconnect on netpoll-poller-", "close-callback"];
            Assert.Equal([.. expected, .. expected], events.Select(e => e.StartsWith("disconnect", StringComparison.Ordinal) ? e.TrimEnd('0', '1', '2', '3', '4', '5', '6', '7', '8', '9') : e));
        }
    }

    private sealed class RecordingHandler(List<string> events, bool throwOnDisconnect = false, bool throwOnPrepare = false) : ConnectionHandler
    {
        private void Add(string e)
        {
            lock (events)
            {
                events.Add(e);
            }
        }

        public override void OnPrepare(Connection connection)
        {
            Add("prepare");
            connection.AddCloseCallback(_ => Add("close-callback"));
            if (throwOnPrepare)
            {
                throw new InvalidOperationException("a handler bug in OnPrepare");
            }
        }

        public override ValueTask OnConnectAsync(Connection connection)
        {
            Add("connect");
            return default;
        }

        public override async ValueTask OnRequestAsync(Connection connection)
        {
            Add("request");
            connection.Writer.WriteBinary(connection.Reader.Next(connection.Reader.Length).Span);
            await connection.Writer.FlushAsync();
        }

        public override void OnDisconnect(Connection connection)
        {
            Add(throwOnDisconnect ? $"disconnect on {Thread.CurrentThread.Name}" : "disconnect");
            if (throwOnDisconnect)
            {
                throw new InvalidOperationException("a handler bug in OnDisconnect");
            }
        }
    }
}
