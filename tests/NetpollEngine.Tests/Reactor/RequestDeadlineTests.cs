using System.Net.Sockets;
using System.Text;
using Netpoll.Client;
using Netpoll.Connections;
using Netpoll.Polling;
using Netpoll.Server;
using Netpoll.Tests.Support;

namespace Netpoll.Tests.Reactor;

/// <summary>The request deadline a protocol arms on a connection: it fires once on the poller, asks the handler, and closes unless told not to.</summary>
public class RequestDeadlineTests
{
    [Theory]
    [MemberData(nameof(BackendMatrix.Dispatch), MemberType = typeof(BackendMatrix))]
    public async Task A_passed_request_deadline_sends_the_handlers_last_words_and_closes(PollerBackendKind backend, DispatchMode dispatch)
    {
        var handler = new DeadlineHandler(TimeSpan.FromMilliseconds(200), keep: false);
        await using TestServer server = TestServer.Start(handler, new EventLoopOptions { Backend = backend, Connection = new ConnectionOptions { Dispatch = dispatch } });
        using Socket client = await server.ConnectSocketAsync();
        byte[] reply = await client.ReceiveToEndAsync(); // bounded: 10 s
        Assert.Equal("too slow", Encoding.ASCII.GetString(reply));
        await TestServer.Eventually(() => handler.Closed is not null, "the connection closed");
        Assert.Equal(CloseReason.RequestTimeout, handler.Closed!.CloseReason);
        Assert.Equal(1, handler.Fired);
        Assert.True(server.Loop.GetStats().Sum(s => s.Timeouts) >= 1);
    }

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task A_handler_that_moves_the_deadline_keeps_the_connection_until_the_next_one(PollerBackendKind backend)
    {
        var handler = new DeadlineHandler(TimeSpan.FromMilliseconds(100), keep: true);
        await using TestServer server = TestServer.Start(handler, BackendMatrix.Server(backend));
        using Socket client = await server.ConnectSocketAsync();
        byte[] reply = await client.ReceiveToEndAsync();
        Assert.Equal("too slow", Encoding.ASCII.GetString(reply)); // written by the second firing, which closes
        Assert.Equal(2, handler.Fired);
    }

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task A_cleared_deadline_never_fires(PollerBackendKind backend)
    {
        // Armed and cleared inside one request, so a slow machine cannot let it pass before the clear.
        var handler = new DeadlineHandler(TimeSpan.FromMilliseconds(100), keep: false) { ArmOnConnect = false, ArmThenClearOnRequest = true };
        await using TestServer server = TestServer.Start(handler, BackendMatrix.Server(backend));
        using Socket client = await server.ConnectSocketAsync();
        await client.SendAsync("x"u8.ToArray());
        Assert.Equal("x", Encoding.ASCII.GetString(await client.ReceiveExactlyAsync(1)));
        await Task.Delay(400); // four deadlines' worth
        await client.SendAsync("y"u8.ToArray());
        Assert.Equal("y", Encoding.ASCII.GetString(await client.ReceiveExactlyAsync(1)));
        Assert.Equal(0, handler.Fired);
        Assert.Null(handler.Closed);
    }

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task A_dialed_connection_closes_at_its_request_deadline(PollerBackendKind backend)
    {
        await using TestServer server = TestServer.Start(c => default, BackendMatrix.Server(backend));
        await using var dialer = BackendMatrix.Dialer(backend);
        Connection connection = await dialer.ConnectAsync(server.EndPoint);
        connection.SetRequestDeadline(TimeSpan.FromMilliseconds(100));
        await TestServer.Eventually(() => !connection.IsActive, "the dialed connection closed");
        Assert.Equal(CloseReason.RequestTimeout, connection.CloseReason);
    }

    [Fact]
    public async Task A_request_deadline_out_of_range_is_refused()
    {
        await using TestServer server = TestServer.Start(c => default);
        await using var dialer = new Dialer(new DialerOptions { Pollers = 1 });
        Connection connection = await dialer.ConnectAsync(server.EndPoint);
        Assert.Throws<ArgumentOutOfRangeException>(() => connection.SetRequestDeadline(TimeSpan.Zero));
        Assert.Throws<ArgumentOutOfRangeException>(() => connection.SetRequestDeadline(TimeSpan.FromDays(25)));
        connection.Close();
    }

    /// <summary>Arms a deadline on connect (or arms and clears it per request); echoes input; at the deadline writes "too slow" (and, when <c>keep</c>, keeps the first time).</summary>
    private sealed class DeadlineHandler(TimeSpan deadline, bool keep) : ConnectionHandler
    {
        private int _fired;

        public bool ArmOnConnect { get; init; } = true;

        public bool ArmThenClearOnRequest { get; init; }

        public int Fired => Volatile.Read(ref _fired);

        public Connection? Closed { get; private set; }

        public override ValueTask OnConnectAsync(Connection connection)
        {
            connection.AddCloseCallback(c => Closed = c);
            if (ArmOnConnect)
            {
                connection.SetRequestDeadline(deadline);
            }

            return default;
        }

        public override ValueTask OnRequestAsync(Connection connection)
        {
            if (ArmThenClearOnRequest)
            {
                connection.SetRequestDeadline(deadline);
                connection.ClearRequestDeadline();
            }

            connection.Writer.AppendFrom(connection.Reader, connection.Reader.Length);
            return connection.Writer.FlushAsync();
        }

        public override bool OnRequestDeadline(Connection connection)
        {
            if (Interlocked.Increment(ref _fired) == 1 && keep)
            {
                connection.SetRequestDeadline(deadline);
                return false;
            }

            connection.Writer.WriteString("too slow");
            return true;
        }
    }
}
