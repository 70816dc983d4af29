using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Netpoll.Connections;
using Netpoll.Load;
using Netpoll.Polling;
using Netpoll.Server;
using Netpoll.Protocols;
using Netpoll.Tests.Support;
using Netpoll.Tls;

namespace Netpoll.Load.Tests;

/// <summary>Runs that cannot measure what they were asked to: every one ends, and says why with no made-up numbers.</summary>
public class LoadFailureTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task A_server_that_never_replies_fails_each_request_as_a_response_timeout_and_a_request_bounded_test_still_ends(PollerBackendKind backend)
    {
        await using var server = TestServer.Start(new DiscardHandler(), BackendMatrix.Server(backend));
        LoadResult result = await LoadGenerator.RunAsync(new LoadOptions
        {
            Backend = backend,
            Target = server.EndPoint,
            Connections = 5,
            Requests = 10,
            Duration = null,
            ResponseTimeout = TimeSpan.FromMilliseconds(500),
            ProgressInterval = TimeSpan.FromMilliseconds(50),
        }).WaitAsync(Bound);

        // Each timed-out connection is replaced, so the whole budget is tried: two requests per connection, each failed.
        Assert.Equal(0, result.Requests);
        Assert.Equal(10, result.RequestsFailed);
        Assert.Equal(10, result.ErrorsByKind.ResponseTimeout);
        Assert.Equal(10, result.Errors);
        Assert.Equal("Requests", result.StopReason);
        Assert.InRange(result.ConnectionsReopened, 5, 10);
        Assert.Null(result.LatencyP50);
        Assert.Null(result.LatencyP99Ms);
        Assert.Null(result.LatencyMax);
        Assert.NotNull(result.ConnectP50); // the connections did open
    }

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task A_request_bounded_run_whose_server_goes_away_retries_its_connects_with_back_off_then_stops(PollerBackendKind backend)
    {
        var server = TestServer.Start(new HttpHandler(), BackendMatrix.Server(backend));
        Task? shutdown = null;
        long shutAt = 0;
        LoadResult result;
        try
        {
            result = await LoadGenerator.RunAsync(
                new LoadOptions
                {
                    Backend = backend, Target = server.EndPoint, Pattern = LoadPattern.Http, Connections = 2, Requests = 100_000_000, Duration = null,
                    ProgressInterval = TimeSpan.FromMilliseconds(50),
                },
                p =>
                {
                    if (p.Requests > 0 && shutdown is null)
                    {
                        shutAt = Stopwatch.GetTimestamp();
                        shutdown = server.Loop.ShutdownAsync(TimeSpan.Zero); // the server goes away for good once it has answered
                    }
                }).WaitAsync(Bound);
        }
        finally
        {
            await (shutdown ?? server.DisposeAsync().AsTask());
        }

        // It had answered, so a refused connect was retried after each back-off wait (10 ms doubling to 1 s); with no
        // time limit to end the run, a slot gives up when a connect after the longest wait fails too: about 2.3 s.
        Assert.Equal("NoConnections", result.StopReason);
        Assert.True(result.Requests > 0);
        Assert.InRange(result.ErrorsByKind.Refused, 2 * 6, 2 * 9);
        Assert.True(Stopwatch.GetElapsedTime(shutAt) >= TimeSpan.FromSeconds(2), $"gave up {Stopwatch.GetElapsedTime(shutAt)} after the server went away");
    }

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task A_request_bounded_test_ends_when_its_last_request_resolves_even_if_one_connection_stalls(PollerBackendKind backend)
    {
        int accepted = 0;
        await using var server = TestServer.Start(new StallFirstConnection(() => Interlocked.Increment(ref accepted) == 1), BackendMatrix.Server(backend));
        LoadResult result = await LoadGenerator.RunAsync(new LoadOptions
        {
            Backend = backend,
            Target = server.EndPoint,
            Connections = 4,
            Requests = 200,
            Duration = null,
            MessageSize = 64,
            ResponseTimeout = TimeSpan.FromSeconds(1), // long enough that a loaded machine does not time out a real echo too
        }).WaitAsync(Bound);

        Assert.Equal("Requests", result.StopReason);
        Assert.Equal(1, result.RequestsFailed);
        Assert.Equal(199, result.Requests);
        Assert.Equal(1, result.ErrorsByKind.ResponseTimeout);
        Assert.NotNull(result.LatencyP99);
    }

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task Nothing_listening_means_refused_connections_and_no_latency_at_all(PollerBackendKind backend)
    {
        int port;
        using (var probe = NetpollListener.Create(0))
        {
            port = ((IPEndPoint)probe.LocalEndPoint).Port;
        }

        LoadResult result = await LoadGenerator.RunAsync(new LoadOptions { Backend = backend, Target = new IPEndPoint(IPAddress.Loopback, port), Connections = 3, Duration = TimeSpan.FromSeconds(10), ProgressInterval = TimeSpan.FromMilliseconds(50) }).WaitAsync(Bound);
        Assert.Equal(3, result.ErrorsByKind.Refused);
        Assert.Equal("Refused=3", result.ErrorsByKind.ToString());
        Assert.Null(result.LatencyP50);
        Assert.Null(result.ConnectP99);
        Assert.Equal(0, result.ConnectionsOpened);
    }

    [Theory]
    [InlineData(SocketError.ConnectionRefused, LoadErrorKind.Refused)]
    [InlineData(SocketError.ConnectionReset, LoadErrorKind.Reset)]
    [InlineData(SocketError.ConnectionAborted, LoadErrorKind.Reset)]
    [InlineData(SocketError.TimedOut, LoadErrorKind.ConnectTimeout)]
    [InlineData(SocketError.HostUnreachable, LoadErrorKind.HostUnreachable)]
    [InlineData(SocketError.NetworkUnreachable, LoadErrorKind.NetworkUnreachable)]
    [InlineData(SocketError.TooManyOpenSockets, LoadErrorKind.TooManyOpenFiles)]
    [InlineData(SocketError.AddressNotAvailable, LoadErrorKind.AddressNotAvailable)]
    [InlineData(SocketError.AddressAlreadyInUse, LoadErrorKind.AddressInUse)]
    [InlineData(SocketError.Shutdown, LoadErrorKind.BrokenPipe)]
    [InlineData(SocketError.NoBufferSpaceAvailable, LoadErrorKind.NoBufferSpace)]
    [InlineData(SocketError.AccessDenied, LoadErrorKind.AccessDenied)]
    [InlineData(SocketError.SocketError, LoadErrorKind.Other)]
    public void Every_errno_class_counted_has_its_own_kind(SocketError error, LoadErrorKind expected) =>
        Assert.Equal(expected, LoadGenerator.Classify(new SocketException((int)error)));

    [Fact]
    public void A_connect_timeout_is_its_own_kind()
    {
        Assert.Equal(LoadErrorKind.ConnectTimeout, LoadGenerator.Classify(new TimeoutException("Connect to 10.0.0.1:80 timed out after 300 ms.")));
        Assert.Equal(LoadErrorKind.TlsHandshakeTimeout, LoadGenerator.Classify(new TlsHandshakeTimeoutException("The TLS handshake with web.example timed out: it did not complete within 300 ms.")));
        Assert.Equal(LoadErrorKind.ClosedEarly, LoadGenerator.Classify(new ConnectionClosedException(CloseReason.PeerClosed, "closed")));
    }

    [Fact]
    public void Errors_by_kind_read_as_properties_and_by_kind()
    {
        LoadErrors errors = LoadErrors.From(new Dictionary<LoadErrorKind, long> { [LoadErrorKind.HostUnreachable] = 2, [LoadErrorKind.Other] = 1 }, ["connect to 10.0.0.1:80 failed: Unknown error (errno 71)."]);
        Assert.Equal(2, errors.HostUnreachable);
        Assert.Equal(2, errors[LoadErrorKind.HostUnreachable]);
        Assert.Equal(3, errors.Total);
        Assert.Equal("HostUnreachable=2, Other=1", errors.ToString());
        Assert.Contains("errno 71", Assert.Single(errors.OtherDetails), StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task A_server_that_refuses_each_connection_with_one_reply_and_a_close_gets_the_back_off_not_a_spin(PollerBackendKind backend)
    {
        // redis-server past maxclients writes "-ERR max number of clients reached" at accept and closes: the first PING reads
        // it as its reply, and the next PING, sent at once, is lost. Such a connection answered, so the back-off reset and
        // the slot reconnected at once: 5 slots made 6,629 connects in 2 s against a real redis (maxclients 5).
        await using var server = TestServer.Start(new ReplyAtAcceptThenClose("-ERR max number of clients reached\r\n"u8.ToArray()), BackendMatrix.Server(backend));
        LoadResult result = await LoadGenerator.RunAsync(new LoadOptions
        {
            Backend = backend,
            Target = server.EndPoint,
            Pattern = LoadPattern.Payload,
            Payload = "PING\r\n"u8.ToArray(),
            ResponseDelimiter = "\r\n"u8.ToArray(),
            Connections = 3,
            Duration = TimeSpan.FromSeconds(2),
        }).WaitAsync(Bound);

        Assert.Equal("Duration", result.StopReason);
        Assert.True(result.Errors > 0, "the lost requests are counted");
        Assert.Equal(result.Errors, result.ErrorsByKind.Reset + result.ErrorsByKind.ClosedEarly);
        Assert.Equal(result.Errors, result.RequestsFailed); // each error ended one request
        Assert.InRange(result.ConnectionsReopened, 3, 3 * ReconnectBound.PerSlot(result.Elapsed)); // replaced after a back-off: no spin
    }

    /// <summary>Echoes on every connection but the chosen one, which reads and never answers.</summary>
    private sealed class StallFirstConnection(Func<bool> stallThisOne) : ConnectionHandler
    {
        private readonly System.Runtime.CompilerServices.ConditionalWeakTable<Connection, object> _stalled = [];

        public override ValueTask OnConnectAsync(Connection connection)
        {
            if (stallThisOne())
            {
                _stalled.Add(connection, new object());
            }

            return default;
        }

        public override ValueTask OnRequestAsync(Connection connection)
        {
            ConnectionReader reader = connection.Reader;
            if (_stalled.TryGetValue(connection, out _))
            {
                reader.Skip(reader.Length);
                return default;
            }

            connection.Writer.AppendFrom(reader, reader.Length);
            return connection.Writer.FlushAsync();
        }
    }
}
