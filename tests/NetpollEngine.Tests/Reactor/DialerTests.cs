using System.Net;
using System.Net.Sockets;
using Netpoll.Client;
using Netpoll.Connections;
using Netpoll.Polling;
using Netpoll.Server;
using Netpoll.Tests.Support;

namespace Netpoll.Tests.Reactor;

public class DialerTests
{
    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task Connecting_to_a_closed_port_fails_with_ConnectionRefused_naming_the_target(PollerBackendKind backend)
    {
        int port;
        using (var probe = NetpollListener.Create(0))
        {
            port = ((IPEndPoint)probe.LocalEndPoint).Port;
        }

        await using Dialer dialer = BackendMatrix.Dialer(backend);
        var target = new IPEndPoint(IPAddress.Loopback, port);
        SocketException error = await Assert.ThrowsAnyAsync<SocketException>(() => dialer.ConnectAsync(target));
        Assert.Equal(SocketError.ConnectionRefused, error.SocketErrorCode);
        Assert.Contains(target.ToString(), error.Message, StringComparison.Ordinal);
        Assert.Equal(0, dialer.ConnectionCount);
    }

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task Connecting_to_a_unix_socket_path_that_does_not_exist_says_so_in_its_message(PollerBackendKind backend)
    {
        // ENOENT maps to SocketError.AddressNotAvailable, as .NET maps it; the message said that code's text, "Cannot assign
        // requested address (errno 2)", which names the wrong fault (ephemeral ports) for a socket file that is not there.
        string path = Path.Combine(Path.GetTempPath(), $"netpoll-missing-{Guid.NewGuid():N}.sock");
        await using Dialer dialer = BackendMatrix.Dialer(backend);
        SocketException error = await Assert.ThrowsAnyAsync<SocketException>(() => dialer.ConnectAsync(new UnixDomainSocketEndPoint(path)));
        Assert.Equal(SocketError.AddressNotAvailable, error.SocketErrorCode);
        Assert.Contains("No such file or directory (errno 2)", error.Message, StringComparison.Ordinal);
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task A_connect_that_cannot_complete_fails_at_the_dial_timeout(PollerBackendKind backend)
    {
        // A listener that never accepts, with its queue filled: further SYNs are dropped.
        using var listener = NetpollListener.Create(new IPEndPoint(IPAddress.Loopback, 0), new ListenerOptions { Backlog = 1 });
        var fillers = new List<Socket>();
        await using Dialer dialer = BackendMatrix.Dialer(backend);
        try
        {
            for (int i = 0; i < 8; i++)
            {
                var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { Blocking = false };
                try
                {
                    s.Connect(listener.LocalEndPoint);
                }
                catch (SocketException)
                {
                }

                fillers.Add(s);
            }

            var clock = System.Diagnostics.Stopwatch.StartNew();
            await Assert.ThrowsAsync<TimeoutException>(() => dialer.ConnectAsync(listener.LocalEndPoint, timeout: TimeSpan.FromMilliseconds(300)));
            Assert.InRange(clock.ElapsedMilliseconds, 250, 5000);
        }
        finally
        {
            fillers.ForEach(s => s.Dispose());
        }
    }

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task A_connect_can_be_canceled(PollerBackendKind backend)
    {
        using var listener = NetpollListener.Create(new IPEndPoint(IPAddress.Loopback, 0), new ListenerOptions { Backlog = 1 });
        var fillers = Enumerable.Range(0, 8).Select(_ => new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { Blocking = false }).ToList();
        try
        {
            foreach (Socket s in fillers)
            {
                try
                {
                    s.Connect(listener.LocalEndPoint);
                }
                catch (SocketException)
                {
                }
            }

            await using Dialer dialer = BackendMatrix.Dialer(backend);
            using var cts = new CancellationTokenSource(200);
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => dialer.ConnectAsync(listener.LocalEndPoint, timeout: TimeSpan.Zero, cancellationToken: cts.Token));
        }
        finally
        {
            fillers.ForEach(s => s.Dispose());
        }
    }

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task Unix_domain_sockets_and_IPv6_carry_the_same_echo(PollerBackendKind backend)
    {
        string path = Path.Combine(Path.GetTempPath(), $"netpoll-{Guid.NewGuid():N}.sock");
        EndPoint[] endpoints = [new UnixDomainSocketEndPoint(path), new IPEndPoint(IPAddress.IPv6Loopback, 0)];
        await using Dialer dialer = BackendMatrix.Dialer(backend);
        foreach (EndPoint bind in endpoints)
        {
            await using var server = TestServer.Start(new EchoHandler(), BackendMatrix.Server(backend), bind: bind);
            Connection c = await dialer.ConnectAsync(server.Listener.LocalEndPoint);
            c.Writer.WriteString("ping");
            await c.Writer.FlushAsync();
            Assert.Equal("ping", System.Text.Encoding.ASCII.GetString((await c.Reader.NextAsync(4)).Span));
            c.Close();
        }

        Assert.False(File.Exists(path), "the Unix socket file is removed when the listener closes");
    }

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task A_connection_dialed_alongside_another_runs_on_that_connections_poller(PollerBackendKind backend)
    {
        await using var server = TestServer.Start(new EchoHandler(), BackendMatrix.Server(backend));
        await using Dialer anchors = BackendMatrix.Dialer(backend);
        await using Dialer dialer = new(new DialerOptions { Pollers = 1 }); // the default backend: the alongside poller's wins
        Connection anchor = await anchors.ConnectAsync(server.EndPoint);
        long anchorBytesBefore = anchors.GetStats().Sum(p => p.BytesIn);

        Connection c = await dialer.ConnectAlongsideAsync(anchor, server.EndPoint);
        Assert.Equal(1, dialer.ConnectionCount); // still this dialer's connection
        c.Writer.WriteString("ping");
        await c.Writer.FlushAsync();
        Assert.Equal("ping", System.Text.Encoding.ASCII.GetString((await c.Reader.NextAsync(4)).Span));

        // Its reads are counted by the anchor's poller, which served it; the dialer's own poller saw nothing.
        Assert.Equal(4, anchors.GetStats().Sum(p => p.BytesIn) - anchorBytesBefore);
        Assert.Equal(0, dialer.GetStats().Sum(p => p.BytesIn));
        c.Close();
        anchor.Close();
    }

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task A_dialed_connections_handler_is_prepared_on_the_poller_as_the_connect_completes_then_connected(PollerBackendKind backend)
    {
        await using var server = TestServer.Start(new EchoHandler(), BackendMatrix.Server(backend));
        await using Dialer dialer = BackendMatrix.Dialer(backend);
        var handler = new CallOrderHandler();
        Connection c = await dialer.ConnectAsync(server.EndPoint, handler);
        await TestServer.Eventually(() => handler.Calls.Count == 2, "OnPrepare and OnConnect ran");
        Assert.Equal(["prepare", "connect"], handler.Calls);
        Assert.StartsWith("netpoll-poller", handler.PreparedOn, StringComparison.Ordinal);
        c.Close();
    }

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task A_handler_whose_OnPrepare_throws_or_closes_the_connection_fails_the_connect_and_leaves_no_connection(PollerBackendKind backend)
    {
        await using var server = TestServer.Start(new EchoHandler(), BackendMatrix.Server(backend));
        await using Dialer dialer = BackendMatrix.Dialer(backend);
        var handler = new CallOrderHandler { ThrowOnPrepare = true };
        InvalidOperationException error = await Assert.ThrowsAsync<InvalidOperationException>(() => dialer.ConnectAsync(server.EndPoint, handler));
        Assert.Equal("prepare failed", error.Message);
        await TestServer.Eventually(() => dialer.ConnectionCount == 0, "the connection is closed");
        Assert.DoesNotContain("connect", handler.Calls);

        // One that closes it: the connect fails too, rather than handing over a connection that is already closing.
        var closer = new CallOrderHandler { CloseOnPrepare = true };
        ConnectionClosedException closed = await Assert.ThrowsAsync<ConnectionClosedException>(() => dialer.ConnectAsync(server.EndPoint, closer));
        Assert.Equal(CloseReason.Local, closed.Reason);
        await TestServer.Eventually(() => dialer.ConnectionCount == 0, "that connection is closed too");
        Assert.DoesNotContain("connect", closer.Calls);

        // The dialer goes on: the next connect is served.
        Connection c = await dialer.ConnectAsync(server.EndPoint);
        c.Writer.WriteString("ok");
        await c.Writer.FlushAsync();
        Assert.Equal("ok", System.Text.Encoding.ASCII.GetString((await c.Reader.NextAsync(2)).Span));
        c.Close();
    }

    /// <summary>Records its calls in order, and the thread OnPrepare ran on.</summary>
    private sealed class CallOrderHandler : ConnectionHandler
    {
        public System.Collections.Concurrent.ConcurrentQueue<string> Calls { get; } = new();

        public string? PreparedOn { get; private set; }

        public bool ThrowOnPrepare { get; init; }

        public bool CloseOnPrepare { get; init; }

        public override void OnPrepare(Connection connection)
        {
            PreparedOn = Thread.CurrentThread.Name;
            Calls.Enqueue("prepare");
            if (ThrowOnPrepare)
            {
                throw new InvalidOperationException("prepare failed");
            }

            if (CloseOnPrepare)
            {
                connection.Close();
            }
        }

        public override ValueTask OnConnectAsync(Connection connection)
        {
            Calls.Enqueue("connect");
            return default;
        }

        public override ValueTask OnRequestAsync(Connection connection) => default;
    }
}
