using System.Collections.Concurrent;
using System.Net.Sockets;
using Netpoll.Connections;
using Netpoll.Polling;
using Netpoll.Server;
using Netpoll.Tests.Support;

namespace Netpoll.Tests.Reactor;

/// <summary>
/// Every close trigger at once, on thousands of connections: the peer's FIN, the peer's reset, the idle
/// timeout, Close and Abort from the handler and from another thread, a handler exception, and the
/// shutdown deadline resetting handlers that are still running. Whatever wins, each connection's close
/// path, fd close, buffer return and callbacks happen exactly once, and nothing leaks.
/// </summary>
[Collection(ProcessWideCollection.Name)]
public class CloseRaceStressTests
{
    private const int Waves = 4;
    private const int PerWave = 500;

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task Racing_every_close_trigger_closes_each_connection_exactly_once_and_leaks_nothing(PollerBackendKind backend)
    {
        using IDisposable fds = ProcessResources.SoftFdLimitAtLeast(8192);
        await RaceAsync(backend);
    }

    private static async Task RaceAsync(PollerBackendKind backend)
    {
        await WarmUpSocketEngineAsync(); // its epoll fd and pipe stay for the process: count from after them
        string[] fdsBefore = SocketAndPollFds();
        var handler = new RacingHandler();
        var server = TestServer.Start(handler, new EventLoopOptions
        {
            Backend = backend,
            Pollers = 2,
            Connection = new ConnectionOptions { IdleTimeout = TimeSpan.FromMilliseconds(150), Dispatch = DispatchMode.ThreadPool },
        });

        using var stopRacer = new CancellationTokenSource();
        Task racer = Task.Run(() => CloseFromOutsideAsync(server.Loop, stopRacer.Token));
        var clients = new List<Socket>();
        byte[] request = new byte[64];
        for (int wave = 0; wave < Waves; wave++)
        {
            var connecting = new List<Task<Socket?>>();
            for (int i = 0; i < PerWave; i++)
            {
                connecting.Add(ConnectAsync(server));
            }

            Socket?[] sockets = await Task.WhenAll(connecting);
            for (int i = 0; i < sockets.Length; i++)
            {
                if (sockets[i] is not { } socket)
                {
                    continue;
                }

                try
                {
                    await socket.SendAsync(request);
                    switch (i % 5)
                    {
                        case 0: // the peer's FIN
                            socket.Shutdown(SocketShutdown.Send);
                            break;
                        case 1: // the peer's reset
                            socket.LingerState = new LingerOption(true, 0);
                            socket.Close();
                            break;
                        case 2: // a full close, FIN then gone
                            socket.Close();
                            break;
                        default: // stays open: the idle timeout, the racer or the shutdown deadline ends it
                            break;
                    }
                }
                catch (SocketException)
                {
                    // The server may already have closed or reset it: that is one of the races.
                }

                clients.Add(socket);
            }

            await Task.Delay(50);
        }

        // Some handlers are still blocked: the shutdown deadline resets their connections.
        await server.Loop.ShutdownAsync(TimeSpan.FromMilliseconds(300));
        stopRacer.Cancel();
        await racer;
        handler.ReleaseBlocked(); // they return, see the close, and give the dispatch up

        int prepared = handler.Connections.Count;
        Assert.True(prepared >= Waves * PerWave * 9 / 10, $"only {prepared} of {Waves * PerWave} connections were accepted");
        await TestServer.Eventually(() => handler.CloseCallbacks.Count == prepared && handler.Connections.Values.All(c => c.Lifecycle.AreBuffersFreed),
            "every connection ran its close callbacks and gave its buffers back", 20_000);

        foreach ((long id, Connection connection) in handler.Connections)
        {
            Assert.Equal(1, handler.CloseCallbacks[id]);
            Assert.True(handler.Disconnects.GetValueOrDefault(id) <= 1, $"connection {id}: OnDisconnect ran {handler.Disconnects.GetValueOrDefault(id)} times");
            ConnectionLifecycle lifecycle = connection.Lifecycle;
            Assert.True(lifecycle.IsClosing && !lifecycle.IsFdOpen && lifecycle.AreBuffersFreed, $"connection {id} did not finish closing ({lifecycle.Reason})");
            Assert.NotEqual(CloseReason.None, connection.CloseReason);
        }

        // Every trigger won somewhere; a reason is recorded once, by whichever came first.
        HashSet<CloseReason> reasons = [.. handler.Connections.Values.Select(c => c.CloseReason)];
        Assert.True(reasons.IsSupersetOf([CloseReason.PeerClosed, CloseReason.Error, CloseReason.Local, CloseReason.HandlerError, CloseReason.IdleTimeout, CloseReason.Shutdown]),
            $"seen: {string.Join(", ", handler.Connections.Values.GroupBy(c => c.CloseReason).Select(g => $"{g.Key} {g.Count()}"))}");
        Assert.Equal(0, server.Loop.GetBufferStatistics().RentedBlocks);
        Assert.Equal(0, server.Loop.ConnectionCount);

        foreach (Socket client in clients)
        {
            client.Dispose();
        }

        await TestServer.Eventually(() => !SocketAndPollFds().Except(fdsBefore).Any(),
            $"no socket, epoll, eventfd or io_uring fd is left open (left: {string.Join(", ", SocketAndPollFds().Except(fdsBefore))})");
    }

    /// <summary>A client; null when the server reset it before the connect completed (the racer can be that quick).</summary>
    private static async Task<Socket?> ConnectAsync(TestServer server)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await socket.ConnectAsync(server.EndPoint, timeout.Token);
            return socket;
        }
        catch (SocketException)
        {
            socket.Dispose();
            return null;
        }
    }

    /// <summary>This process's sockets, epoll, eventfd and io_uring fds (the runtime opens and closes files of its own meanwhile).</summary>
    private static string[] SocketAndPollFds() =>
        [.. Directory.GetFileSystemEntries("/proc/self/fd")
            .Select(f =>
            {
                try
                {
                    return $"{Path.GetFileName(f)} {new FileInfo(f).LinkTarget}";
                }
                catch (IOException)
                {
                    return ""; // closed while we looked
                }
            })
            .Where(f => f.Contains("socket:", StringComparison.Ordinal) || f.Contains("anon_inode:[event", StringComparison.Ordinal) || f.Contains("anon_inode:[io_uring]", StringComparison.Ordinal))];

    private static async Task WarmUpSocketEngineAsync()
    {
        using var listener = new Socket(SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0));
        listener.Listen();
        using var client = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(listener.LocalEndPoint!);
        using Socket accepted = await listener.AcceptAsync();
    }

    /// <summary>Another thread closing and aborting connections while everything else happens.</summary>
    private static async Task CloseFromOutsideAsync(EventLoop loop, CancellationToken stop)
    {
        var random = new Random(14);
        while (!stop.IsCancellationRequested)
        {
            foreach (Connection connection in loop.GetConnections())
            {
                switch (random.Next(100))
                {
                    case 0:
                        connection.Close();
                        break;
                    case 1:
                        connection.Abort();
                        break;
                }
            }

            try
            {
                await Task.Delay(10, stop);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>Counts every callback per connection, and on each request takes one of the handler-side triggers.</summary>
    private sealed class RacingHandler : ConnectionHandler
    {
        private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public ConcurrentDictionary<long, Connection> Connections { get; } = new();

        public ConcurrentDictionary<long, int> CloseCallbacks { get; } = new();

        public ConcurrentDictionary<long, int> Disconnects { get; } = new();

        public void ReleaseBlocked() => _release.TrySetResult();

        public override void OnPrepare(Connection connection)
        {
            Connections[connection.Id] = connection;
            connection.AddCloseCallback(c => CloseCallbacks.AddOrUpdate(c.Id, 1, (_, n) => n + 1));
        }

        public override void OnDisconnect(Connection connection) => Disconnects.AddOrUpdate(connection.Id, 1, (_, n) => n + 1);

        public override async ValueTask OnRequestAsync(Connection connection)
        {
            ConnectionReader reader = connection.Reader;
            switch (connection.Id % 6)
            {
                case 0:
                    throw new InvalidOperationException("a handler failure is a close trigger");
                case 1:
                    connection.Close();
                    break;
                case 2:
                    connection.Abort();
                    break;
                case 3:
                    await _release.Task; // still running at the shutdown deadline
                    break;
                default:
                    break;
            }

            if (!connection.IsActive)
            {
                return;
            }

            try
            {
                connection.Writer.AppendFrom(reader, reader.Length);
                await connection.Writer.FlushAsync();
            }
            catch (ConnectionClosedException)
            {
                // Closed by another trigger meanwhile: expected here.
            }
        }
    }
}
