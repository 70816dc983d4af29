using Netpoll.Connections;
using Netpoll.Polling;
using Netpoll.Protocols;
using Netpoll.Tests.Support;

namespace Netpoll.Load.Tests;

/// <summary>
/// What a result counts when a run stops with requests in flight: each request sent is counted once, as completed,
/// failed, or in flight at the stop (wrk's rule: a request unanswered at the deadline is neither), however the
/// run stopped and whatever its connections were doing then.
/// </summary>
public class StopAccountingTests
{
    private const int MessageSize = 64;
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task Requests_unanswered_when_the_duration_ends_are_in_flight_at_the_stop_not_failed(PollerBackendKind backend)
    {
        // The server reads and never answers, and the response timeout is far past the run's end.
        await using var server = TestServer.Start(new DiscardHandler(), BackendMatrix.Server(backend));
        LoadOptions options = Busy(backend, server, TimeSpan.FromSeconds(1)) with { Connections = 3, ResponseTimeout = TimeSpan.FromMinutes(1) };
        LoadResult result = await LoadGenerator.RunAsync(options).WaitAsync(Bound);

        Assert.Equal("Duration", result.StopReason);
        Assert.Equal(0, result.Requests);
        Assert.Equal(0, result.RequestsFailed);
        Assert.Equal(12, result.RequestsInFlightAtStop);
        Assert.Equal(12 * MessageSize, result.BytesSent);
        Assert.Equal(0, result.Errors);
    }

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task Every_request_sent_is_counted_once_when_the_duration_ends(PollerBackendKind backend)
    {
        await using var server = TestServer.Start(new EchoClosingSome(), BackendMatrix.Server(backend));
        LoadResult result = await LoadGenerator.RunAsync(Busy(backend, server, TimeSpan.FromSeconds(1))).WaitAsync(Bound);

        Assert.Equal("Duration", result.StopReason);
        AssertEachRequestCountedOnce(result);
    }

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task Every_request_sent_is_counted_once_when_the_run_is_canceled(PollerBackendKind backend)
    {
        await using var server = TestServer.Start(new EchoClosingSome(), BackendMatrix.Server(backend));
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        LoadResult result = await LoadGenerator.RunAsync(
            Busy(backend, server, TimeSpan.FromMinutes(5)),
            p => { if (p.Requests > 1000) { cancel.Cancel(); } },
            cancel.Token).WaitAsync(Bound);

        Assert.Equal("Canceled", result.StopReason);
        AssertEachRequestCountedOnce(result);
    }

    /// <summary>Every echo request is <see cref="MessageSize"/> bytes, and the bytes sent count each written one, so they give the requests sent.</summary>
    private static void AssertEachRequestCountedOnce(LoadResult result)
    {
        Assert.True(result.Requests > 0, "the server answered");
        Assert.True(result.RequestsFailed > 0, "the server closed connections with requests in flight");
        Assert.Equal(result.BytesSent / MessageSize, result.Requests + result.RequestsFailed + result.RequestsInFlightAtStop);
        Assert.Equal(result.Requests, result.Timeline[^1].Requests); // the last interval is taken after the stop settled
        Assert.Equal(result.Requests, HistogramCodec.Decode(result.LatencyHistogram!).TotalCount);
    }

    private static LoadOptions Busy(PollerBackendKind backend, TestServer server, TimeSpan duration) => new()
    {
        Backend = backend,
        Target = server.EndPoint,
        Pattern = LoadPattern.Pipelined,
        Pipeline = 4,
        MessageSize = MessageSize,
        Connections = 16,
        Duration = duration,
        ProgressInterval = TimeSpan.FromMilliseconds(50),
    };

    /// <summary>Echoes, but closes every fourth connection it accepts at its first read: its requests in flight fail, and it is replaced.</summary>
    private sealed class EchoClosingSome : ConnectionHandler
    {
        private readonly System.Runtime.CompilerServices.ConditionalWeakTable<Connection, object> _doomed = [];
        private int _accepted;

        public override ValueTask OnConnectAsync(Connection connection)
        {
            if (Interlocked.Increment(ref _accepted) % 4 == 0)
            {
                _doomed.Add(connection, new object());
            }

            return default;
        }

        public override ValueTask OnRequestAsync(Connection connection)
        {
            if (_doomed.TryGetValue(connection, out _))
            {
                connection.Close();
                return default;
            }

            ConnectionReader reader = connection.Reader;
            connection.Writer.AppendFrom(reader, reader.Length);
            return connection.Writer.FlushAsync();
        }
    }
}
