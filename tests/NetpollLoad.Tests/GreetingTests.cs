using System.Net;
using Netpoll.Connections;
using Netpoll.Polling;
using Netpoll.Tests.Support;

namespace Netpoll.Load.Tests;

/// <summary>
/// A server that speaks first (SMTP's 220, FTP, POP3, an SSH banner): with <see cref="LoadOptions.ReadGreeting"/> each
/// connection reads the greeting before its first request, so every reply is matched to its own request. Without it the
/// greeting was taken for the first request's reply and every later reply for the next request's: latencies that lie,
/// and no error.
/// </summary>
public class GreetingTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan ReplyDelay = TimeSpan.FromMilliseconds(40);
    private static readonly byte[] Greeting = "220 greeting.test ready\r\n"u8.ToArray();
    private static readonly byte[] Reply = "250 ok\r\n"u8.ToArray();

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Each_connection_reads_the_greeting_before_its_first_request_and_every_reply_is_its_own_requests(PollerBackendKind backend, bool raced)
    {
        var handler = new GreetingLineServer(Greeting, ReplyDelay);
        await using var server = TestServer.Start(handler, BackendMatrix.Server(backend));
        LoadResult result = await LoadGenerator.RunAsync(Greeted(backend, server) with
        {
            // A second address (nothing listens on ::1 at this port) makes the first connects race, and a race's winner opens
            // after its connect returned: a greeting that came whole before then is read when it opens, not waited for.
            FallbackTargets = raced ? [new IPEndPoint(IPAddress.IPv6Loopback, server.EndPoint.Port)] : [],
            Connections = 3,
            Requests = 30,
            Duration = null,
        }).WaitAsync(Bound);

        Assert.Equal(30, result.Requests);
        Assert.Equal(0, result.Errors);
        Assert.Equal(0, result.RequestsFailed);

        // Every reply comes ReplyDelay after its request; the greeting, read as the first reply, came at once.
        TimeSpan fastest = LoadResult.Percentile(result.LatencyHistogram, 0)!.Value;
        Assert.True(fastest >= ReplyDelay * 0.9, $"the fastest reply took {fastest.TotalMilliseconds:0.###} ms, under the server's {ReplyDelay.TotalMilliseconds} ms: a greeting was read as a reply");

        // Greetings and replies are received bytes, requests sent ones; the server read nothing before it greeted.
        Assert.Equal((result.ConnectionsOpened * Greeting.Length) + (30 * Reply.Length), result.BytesReceived);
        Assert.Equal(30 * 6, result.BytesSent);
        Assert.Equal(0, handler.BytesBeforeGreeting);
    }

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task A_greeting_that_never_comes_sends_nothing_and_closes_the_connection_as_one_response_timeout(PollerBackendKind backend)
    {
        var handler = new GreetingLineServer(greeting: null, TimeSpan.Zero); // answers every line, greets no one
        await using var server = TestServer.Start(handler, BackendMatrix.Server(backend));
        LoadResult result = await LoadGenerator.RunAsync(Greeted(backend, server) with
        {
            Connections = 1,
            ResponseTimeout = TimeSpan.FromMilliseconds(300),
            Duration = TimeSpan.FromSeconds(1),
        }).WaitAsync(Bound);

        Assert.Equal(0, result.Requests);
        Assert.Equal(0, result.RequestsFailed); // no request was sent: none failed
        Assert.Equal(0, result.BytesSent);
        Assert.Equal(0, handler.BytesRead);
        Assert.InRange(result.ErrorsByKind.ResponseTimeout, 1, 4); // one per connection: each waited 300 ms, then backed off
        Assert.Equal(result.ErrorsByKind.ResponseTimeout, result.Errors);
    }

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task A_server_that_closes_before_its_greeting_is_whole_is_counted_closed_early_and_backed_off(PollerBackendKind backend)
    {
        await using var server = TestServer.Start(new ReplyAtAcceptThenClose("220 gree"u8.ToArray()), BackendMatrix.Server(backend));
        LoadResult result = await LoadGenerator.RunAsync(Greeted(backend, server) with
        {
            Connections = 2,
            Duration = TimeSpan.FromSeconds(1),
        }).WaitAsync(Bound);

        Assert.Equal(0, result.Requests);
        Assert.Equal(0, result.BytesSent);
        Assert.True(result.ErrorsByKind.ClosedEarly > 0, "the cut-off greetings are counted");
        Assert.Equal(result.ErrorsByKind.ClosedEarly, result.Errors);
        Assert.InRange(result.ConnectionsReopened, 1, 2 * ReconnectBound.PerSlot(result.Elapsed)); // no spin
    }

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task An_Idle_run_holds_its_connections_to_a_server_that_greets_and_counts_what_it_sent(PollerBackendKind backend)
    {
        // sshd, MySQL and SMTP servers greet every connection: an Idle run that takes the greeting for a reply to nothing
        // closed each connection as a BadResponse and held none of them.
        await using var server = TestServer.Start(new GreetingLineServer(Greeting, TimeSpan.Zero), BackendMatrix.Server(backend));
        LoadResult result = await LoadGenerator.RunAsync(new LoadOptions
        {
            Backend = backend,
            Target = server.EndPoint,
            Pattern = LoadPattern.Idle,
            Connections = 4,
            Duration = TimeSpan.FromMilliseconds(600),
            ProgressInterval = TimeSpan.FromMilliseconds(100),
        }).WaitAsync(Bound);

        Assert.Equal(0, result.Errors);
        Assert.Equal(4, result.ConnectionsOpened);
        Assert.Equal(4, result.Timeline[^1].ConnectionsOpen); // still held at the end
        Assert.Equal(4 * Greeting.Length, result.BytesReceived);
        Assert.Equal(0, result.BytesSent);
    }

    [Fact]
    public void ReadGreeting_is_refused_outside_the_Payload_pattern()
    {
        var options = new LoadOptions { Target = new IPEndPoint(IPAddress.Loopback, 1), Pattern = LoadPattern.PingPong, ReadGreeting = true };
        ArgumentException error = Assert.Throws<ArgumentException>(options.Validate);
        Assert.Contains("ReadGreeting", error.Message, StringComparison.Ordinal);
    }

    /// <summary>An SMTP-style NOOP run that reads each connection's greeting first.</summary>
    private static LoadOptions Greeted(PollerBackendKind backend, TestServer server) => new()
    {
        Backend = backend,
        Target = server.EndPoint,
        Pattern = LoadPattern.Payload,
        Payload = "NOOP\r\n"u8.ToArray(),
        ResponseDelimiter = "\r\n"u8.ToArray(),
        ReadGreeting = true,
    };

    public static TheoryData<PollerBackendKind, bool> Cases => BackendMatrix.Cross(false, true);

    /// <summary>
    /// Greets each connection (or not) a little after it is accepted, then answers each CRLF-ended line with "250 ok" after a
    /// delay: an SMTP server's shape. What a client sent before the greeting went out is counted.
    /// </summary>
    private sealed class GreetingLineServer(byte[]? greeting, TimeSpan replyDelay) : ConnectionHandler
    {
        private static readonly TimeSpan GreetingDelay = TimeSpan.FromMilliseconds(20);
        private long _bytesRead;
        private long _bytesBeforeGreeting;

        public long BytesRead => Interlocked.Read(ref _bytesRead);

        public long BytesBeforeGreeting => Interlocked.Read(ref _bytesBeforeGreeting);

        public override async ValueTask OnConnectAsync(Connection connection)
        {
            if (greeting is not null)
            {
                await Task.Delay(GreetingDelay); // time for a client that does not wait for the greeting to send first
                Interlocked.Add(ref _bytesBeforeGreeting, connection.Reader.Length);
                connection.Writer.WriteBinary(greeting);
                await connection.Writer.FlushAsync();
            }
        }

        public override async ValueTask OnRequestAsync(Connection connection)
        {
            ConnectionReader reader = connection.Reader;
            while (reader.IndexOf((byte)'\n') is int end and >= 0)
            {
                reader.Skip(end + 1);
                Interlocked.Add(ref _bytesRead, end + 1);
                if (replyDelay > TimeSpan.Zero)
                {
                    await Task.Delay(replyDelay);
                }

                connection.Writer.WriteBinary(Reply);
                await connection.Writer.FlushAsync();
            }
        }
    }
}
