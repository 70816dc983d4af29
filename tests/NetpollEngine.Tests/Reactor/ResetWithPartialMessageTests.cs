using System.Net;
using System.Net.Sockets;
using Netpoll.Client;
using Netpoll.Connections;
using Netpoll.Polling;
using Netpoll.Server;
using Netpoll.Tests.Support;

namespace Netpoll.Tests.Reactor;

/// <summary>
/// A peer that sends part of a message and then resets is closed at once, with no deadline to help, even when its last
/// bytes and its reset both wait in the kernel before the poller looks. On io_uring that is the hard case: the
/// multishot receive reads the bytes, the kernel's hint says nothing more is queued (it says so after a FIN, not after
/// a reset), and the wake-up the reset made was spent on the same run — nothing would report it. The tests hold the
/// poller (a task posted to it that blocks) while the peers send and reset, so both land before it runs: every time.
/// </summary>
public class ResetWithPartialMessageTests
{
    private const int MessageSize = 100;
    private const int Peers = 20;
    // No deadline is set, so without the fix a connection waits for ever: the bound only keeps a failing run short.
    private const int CloseBoundMs = 5_000;

    [Theory]
    [MemberData(nameof(BackendMatrix.Dispatch), MemberType = typeof(BackendMatrix))]
    public async Task Peers_that_reset_right_after_part_of_a_message_are_closed_at_once(PollerBackendKind backend, DispatchMode dispatch)
    {
        var handler = new WaitsForWholeMessage();
        var options = new EventLoopOptions { Backend = backend, Pollers = 1, Connection = new ConnectionOptions { Dispatch = dispatch } };
        await using var server = TestServer.Start(handler, options);
        List<Socket> clients = await ConnectWaitingPeersAsync(server);
        try
        {
            Poller poller = (await handler.Opened.Task.WaitAsync(TimeSpan.FromSeconds(10))).Poller;

            // With the poller held, each peer sends more of its message and resets: bytes and reset wait together.
            using (PollerHold.On(poller))
            {
                SendMoreAndReset(clients);
                Thread.Sleep(50); // loopback delivers within the send and close calls; this covers a softirq run late
            }

            await TestServer.Eventually(() => handler.Closed.Count == Peers, () => $"all {Peers} reset connections were closed ({handler.Closed.Count} were)", CloseBoundMs);
            Assert.All(handler.Closed, reason => Assert.Equal(CloseReason.Error, reason));
            Assert.Equal(Peers * 11, server.Loop.GetStats().Sum(s => s.BytesIn)); // what came before the reset was received
        }
        finally
        {
            clients.ForEach(c => c.Dispose());
        }
    }

    [Theory]
    [InlineData(DispatchMode.Inline)]
    [InlineData(DispatchMode.ThreadPool)]
    public async Task On_io_uring_a_reset_the_kernel_never_reports_to_the_receive_still_closes_the_connection(DispatchMode dispatch)
    {
        // The kernel race on demand: the ring holds back each receive's −ECONNRESET end (IoUringBackend.LoseReceiveErrors),
        // as a kernel that spent the reset's wake-up leaves the multishot receive armed. The connection must learn of the
        // reset anyway. (The held-back receive had already taken the socket's error, so the receive after it reads a plain end.)
        var handler = new WaitsForWholeMessage();
        var options = new EventLoopOptions { Backend = PollerBackendKind.IoUring, Pollers = 1, Connection = new ConnectionOptions { Dispatch = dispatch } };
        await using var server = TestServer.Start(handler, options);
        using Socket first = await server.ConnectSocketAsync();
        Poller poller = (await handler.Opened.Task.WaitAsync(TimeSpan.FromSeconds(10))).Poller;
        using (PollerHold.On(poller, p => ((IoUringBackend)p.Completion!).LoseReceiveErrors = true))
        {
        }

        List<Socket> clients = await ConnectWaitingPeersAsync(server);
        try
        {
            SendMoreAndReset(clients);
            await TestServer.Eventually(() => handler.Closed.Count == Peers, () => $"all {Peers} reset connections were closed ({handler.Closed.Count} were)", CloseBoundMs);
            Assert.Equal(Peers * 11, server.Loop.GetStats().Sum(s => s.BytesIn));
        }
        finally
        {
            clients.ForEach(c => c.Dispose());
        }
    }

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task A_dialed_connection_whose_server_resets_right_after_part_of_an_answer_is_closed_at_once(PollerBackendKind backend)
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen();
        await using Dialer dialer = BackendMatrix.Dialer(backend);
        Task<Socket> accepting = listener.AcceptAsync();
        Connection connection = await dialer.ConnectAsync(listener.LocalEndPoint!);
        using Socket server = await accepting.WaitAsync(TimeSpan.FromSeconds(10));

        // The first byte of the answer arrives; the application waits for all of it.
        await server.SendAsync(new byte[1]);
        await connection.Reader.WaitAsync(1).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        Task whole = connection.Reader.WaitAsync(MessageSize).AsTask();

        using (PollerHold.On(connection.Poller))
        {
            server.Send(new byte[10]);
            server.LingerState = new LingerOption(true, 0);
            server.Close(); // a reset with the answer half sent
            Thread.Sleep(50);
        }

        Exception? failed = await Record.ExceptionAsync(() => whole.WaitAsync(TimeSpan.FromMilliseconds(CloseBoundMs)));
        Assert.IsType<ConnectionClosedException>(failed);
        Assert.Equal(CloseReason.Error, connection.CloseReason);
    }

    /// <summary>
    /// <see cref="Peers"/> clients, each with its first byte received and left unread (a message is 100 bytes): their
    /// receives are armed and waiting. (A server's connection that sent nothing is not counted.)
    /// </summary>
    private static async Task<List<Socket>> ConnectWaitingPeersAsync(TestServer server)
    {
        var clients = new List<Socket>();
        for (int i = 0; i < Peers; i++)
        {
            Socket client = await server.ConnectSocketAsync();
            await client.SendAsync(new byte[1]);
            clients.Add(client);
        }

        await TestServer.Eventually(() => server.Loop.GetStats().Sum(s => s.BytesIn) == Peers, "every peer's first byte was received");
        return clients;
    }

    /// <summary>Each client sends 10 more bytes of its message, then resets (SO_LINGER 0 and close).</summary>
    private static void SendMoreAndReset(List<Socket> clients)
    {
        foreach (Socket client in clients)
        {
            client.Send(new byte[10]);
            client.LingerState = new LingerOption(true, 0);
            client.Close();
        }
    }

    /// <summary>Waits for a 100-byte message that never comes whole: leaves what arrived unread. Records each close.</summary>
    private sealed class WaitsForWholeMessage : ConnectionHandler
    {
        private readonly List<CloseReason> _closed = [];

        public TaskCompletionSource<Connection> Opened { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public IReadOnlyList<CloseReason> Closed
        {
            get { lock (_closed) { return [.. _closed]; } }
        }

        public override ValueTask OnConnectAsync(Connection connection)
        {
            connection.AddCloseCallback(c => { lock (_closed) { _closed.Add(c.CloseReason); } });
            Opened.TrySetResult(connection);
            return default;
        }

        public override ValueTask OnRequestAsync(Connection connection)
        {
            if (connection.Reader.Length >= MessageSize)
            {
                connection.Reader.Skip(MessageSize);
                connection.Reader.Release();
            }

            return default; // part of a message: wait for the rest
        }
    }

    /// <summary>Holds a poller's thread in a task posted to it (after running <c>first</c> there), until disposed (bounded: 10 s at most).</summary>
    private sealed class PollerHold(Action<Poller>? first) : IPollerTask, IDisposable
    {
        private readonly ManualResetEventSlim _started = new();
        private readonly ManualResetEventSlim _released = new();

        public static PollerHold On(Poller poller, Action<Poller>? first = null)
        {
            var hold = new PollerHold(first);
            poller.Post(hold);
            Assert.True(hold._started.Wait(TimeSpan.FromSeconds(10)), "the poller took the task");
            return hold;
        }

        void IPollerTask.Run(Poller poller)
        {
            first?.Invoke(poller);
            _started.Set();
            _released.Wait(TimeSpan.FromSeconds(10));
        }

        public void Dispose() => _released.Set();
    }
}
