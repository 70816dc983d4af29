using System.Net.Sockets;
using System.Text;
using Netpoll.Connections;
using Netpoll.Polling;
using Netpoll.Server;
using Netpoll.Tests.Support;

namespace Netpoll.Tests.Reactor;

/// <summary>
/// Bytes a peer sent before it reset the connection are the handler's, whatever the dispatch mode: Inline hands them
/// over before the reactor reads the reset; a ThreadPool call that was busy (or queued) when the reset came must too.
/// </summary>
public class ResetAfterDataTests
{
    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task Bytes_sent_before_a_reset_reach_a_thread_pool_handler_that_was_busy_when_it_came(PollerBackendKind backend)
    {
        var handler = new HeldAtConnect();
        await using var server = TestServer.Start(handler, OnThreadPool(backend));
        using (Socket client = await server.ConnectSocketAsync())
        {
            Connection connection = await handler.Connected.Task.WaitAsync(TimeSpan.FromSeconds(10));
            await client.SendAsync("last words"u8.ToArray());
            client.LingerState = new LingerOption(true, 0); // the close below resets
            client.Close();

            // The reactor reads the bytes and then the reset while OnConnect still holds the handler.
            await TestServer.Eventually(() => !connection.IsActive, "the reset was read");
            handler.Release.Set();
        }

        // The close callback may run before the handler is released; the bytes are handed over after it.
        await TestServer.Eventually(() => handler.Received.Length > 0, "the bytes read before the reset were handed over");
        Assert.Equal("last words", handler.Received);
        await TestServer.Eventually(() => handler.Closed is not null, "the connection closed");
        Assert.Equal(CloseReason.Error, handler.Closed!.CloseReason);
    }

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task After_this_side_closes_a_busy_handler_is_not_called_again(PollerBackendKind backend)
    {
        var handler = new HeldAtConnect();
        await using var server = TestServer.Start(handler, OnThreadPool(backend));
        using Socket client = await server.ConnectSocketAsync();
        Connection connection = await handler.Connected.Task.WaitAsync(TimeSpan.FromSeconds(10));
        await client.SendAsync("unread"u8.ToArray());
        await TestServer.Eventually(() => server.Loop.GetStats().Sum(s => s.BytesIn) >= 6, "the bytes were read");
        connection.Close();
        handler.Release.Set();

        await TestServer.Eventually(() => handler.Closed is not null, "the connection closed");
        Assert.Equal(CloseReason.Local, handler.Closed!.CloseReason);
        Assert.Equal("", handler.Received);
    }

    private static EventLoopOptions OnThreadPool(PollerBackendKind backend) =>
        new() { Backend = backend, Connection = new ConnectionOptions { Dispatch = DispatchMode.ThreadPool } };

    /// <summary>Holds OnConnect until <see cref="Release"/>; records what OnRequest is given and the close.</summary>
    private sealed class HeldAtConnect : ConnectionHandler
    {
        private readonly StringBuilder _received = new();

        public TaskCompletionSource<Connection> Connected { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public ManualResetEventSlim Release { get; } = new();

        public Connection? Closed { get; private set; }

        public string Received
        {
            get { lock (_received) { return _received.ToString(); } }
        }

        public override ValueTask OnConnectAsync(Connection connection)
        {
            connection.AddCloseCallback(c => Closed = c);
            Connected.TrySetResult(connection);
            Release.Wait(TimeSpan.FromSeconds(10)); // ThreadPool dispatch: a handler may block
            return default;
        }

        public override ValueTask OnRequestAsync(Connection connection)
        {
            string text = Encoding.ASCII.GetString(connection.Reader.Next(connection.Reader.Length).Span);
            lock (_received)
            {
                _received.Append(text);
            }

            return default;
        }
    }
}
