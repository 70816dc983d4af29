using System.Runtime.CompilerServices;
using Netpoll.Connections;
using Netpoll.Polling;
using Netpoll.Server;
using Netpoll.Tests.Support;

namespace Netpoll.Load.Tests.Http;

/// <summary>
/// A fixed rate against servers that end keep-alive connections without saying so — no <c>Connection: close</c>: a FIN
/// after a response (a keep-alive timeout's close: nginx's <c>keepalive_timeout</c>, haproxy's <c>timeout
/// http-keep-alive</c>), a reset after one, and an idle timeout — in a process whose thread pool is busy. The engine
/// tells the generator's inline handler on the poller (OnDisconnect), so these reopens take the poller path an announced
/// close takes, and the schedule does not wait for the pool. It runs alone (<see cref="RunsAloneCollection"/>): it
/// blocks the pool on purpose.
/// </summary>
[Collection(RunsAloneCollection.Name)]
public class UnannouncedCloseRateTests
{
    private static readonly TimeSpan Blocked = TimeSpan.FromSeconds(3);

    // At 1000/s a connection is due about every 64 ms: longer than the idle timeout, so the server keeps ending some.
    private const int Connections = 64;

    public enum ServerEnding
    {
        /// <summary>A FIN after every third response, with nothing said.</summary>
        Close,

        /// <summary>A reset after every third response.</summary>
        Reset,

        /// <summary>The server's idle timeout closes a connection no byte moved on for 10 ms (the engine's timer tick).</summary>
        IdleTimeout,
    }

    public static TheoryData<PollerBackendKind, ServerEnding> BackendsAndEndings => BackendMatrix.Cross(Enum.GetValues<ServerEnding>());

    [Theory]
    [MemberData(nameof(BackendsAndEndings))]
    public async Task A_server_that_ends_connections_unannounced_gets_the_schedule_while_the_thread_pool_is_busy(PollerBackendKind backend, ServerEnding ending)
    {
        // The server shares the process: it answers on its pollers too, or it would be the one waiting for the pool.
        EventLoopOptions options = BackendMatrix.Server(backend) with
        {
            Connection = new ConnectionOptions
            {
                Dispatch = DispatchMode.Inline,
                IdleTimeout = ending == ServerEnding.IdleTimeout ? TimeSpan.FromMilliseconds(10) : TimeSpan.Zero,
            },
        };
        await using var server = TestServer.Start(ending == ServerEnding.IdleTimeout ? KeepingAlive() : EndingEvery(3, reset: ending == ServerEnding.Reset), options);
        LoadResult result = await ThreadPoolStarver.RunStarvedAsync(ShortKeepAliveRateTests.RateOptions(backend, server, connections: Connections) with
        {
            Rate = 1000,
            Duration = TimeSpan.FromSeconds(2),
        }, Blocked);

        Assert.InRange(result.RequestsScheduled!.Value, 1990, 2001);
        ShortKeepAliveRateTests.AssertScheduleAccounted(result);
        ShortKeepAliveRateTests.AssertScheduleHeld(result);
        Assert.True(result.ConnectionsReopened > 0, "the server's ends were not replaced");

        // A request in flight when the server ended its connection failed, by the cause the client saw, and was counted on
        // the poller: nothing else failed (a close settled late, on the starved pool, was taken for a response timeout).
        LoadErrors errors = result.ErrorsByKind;
        Assert.True(result.Errors == errors.ClosedEarly + errors.Reset, $"errors: {errors}");
        if (ending == ServerEnding.Reset)
        {
            // Each reset is counted once, whether or not a request was in flight on it.
            Assert.Equal(0, errors.ClosedEarly);
            Assert.InRange(result.RequestsFailed, 0, errors.Reset);
            Assert.InRange(errors.Reset, (result.Requests / 3) - Connections, (result.Requests / 3) + 1);
        }
        else
        {
            // A FIN meets the request in flight, which is sent again on the next connection (the connection was reused), or
            // fails as closed early as the run stops; a request that reached the closed socket first is answered by the
            // server's kernel with a reset, counted whether or not its request was retried. One request at most is in
            // flight per connection, so each such end failed or retried one request, and counted at most one error.
            Assert.InRange(result.RequestsFailed, 0, errors.ClosedEarly + errors.Reset);
            Assert.InRange(errors.ClosedEarly + errors.Reset, 0, result.RequestsFailed + result.RequestsRetried);
        }

        if (ending != ServerEnding.IdleTimeout)
        {
            // Each third response ended its connection, and each was replaced (the run's last ones may end it first).
            Assert.InRange(result.ConnectionsReopened, (result.Requests / 3) - Connections, (result.Requests / 3) + 1);
        }
    }

    /// <summary>An HTTP server that keeps every connection alive (its idle timeout ends them).</summary>
    private static Func<Connection, ValueTask> KeepingAlive()
    {
        byte[] keep = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"u8.ToArray();
        return async c =>
        {
            while (HttpServerLoadTests.SkipRequestHead(c))
            {
                c.Writer.WriteBinary(keep);
                await c.Writer.FlushAsync();
            }
        };
    }

    /// <summary>An HTTP server that ends each connection after its <paramref name="n"/>th response without saying so: a FIN, or a reset once the response is delivered.</summary>
    private static Func<Connection, ValueTask> EndingEvery(int n, bool reset)
    {
        byte[] keep = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"u8.ToArray();
        var answered = new ConditionalWeakTable<Connection, StrongBox<int>>();
        return async c =>
        {
            StrongBox<int> count = answered.GetOrCreateValue(c);
            while (HttpServerLoadTests.SkipRequestHead(c))
            {
                c.Writer.WriteBinary(keep);
                await c.Writer.FlushAsync();
                if (++count.Value % n == 0)
                {
                    if (reset)
                    {
                        c.Abort(); // flushed to loopback: the peer has the response before the reset
                    }
                    else
                    {
                        c.Close();
                    }

                    return;
                }
            }
        };
    }
}
