using System.Net;
using System.Text;
using Netpoll.Connections;
using Netpoll.Polling;
using Netpoll.Server;
using Netpoll.Tests.Support;

namespace Netpoll.Tests.Tls;

/// <summary>
/// Close (not ShutdownSend) on a TLS connection whose response is still being flushed, on every backend and
/// dispatch mode: the flush finishes, then close_notify, then the FIN. Before, the close path skipped its
/// closing bytes (and on io_uring cancelled the send in flight) whenever a flush owned the output at that
/// instant, so a client reading to the end saw a truncated response and an "unexpected eof".
/// </summary>
public sealed class TlsCloseTests : IDisposable
{
    private const int Lines = 256 * 1024;
    private static readonly string Line = new string('z', 63) + "\n"; // 64 B: the response is 16 MiB of these, more than loopback's socket buffers hold

    private readonly string _directory = Directory.CreateTempSubdirectory("netpoll-tls-close-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    public static TheoryData<PollerBackendKind, DispatchMode> Modes => BackendMatrix.Dispatch;

    /// <summary>
    /// A server that answers its first request with 16 MiB and closes at once. With <paramref name="awaitFlush"/>
    /// false the flush does not wait for the socket (OutputHighWaterMark above the response), so the close meets
    /// the flush still under way; with true it meets what an awaited flush leaves (a ring send in flight).
    /// </summary>
    private static TestServer StartLargeResponseThenClose(PollerBackendKind backend, DispatchMode dispatch, bool awaitFlush) =>
        TestServer.Start(async c =>
        {
            c.Reader.Skip(c.Reader.Length);
            if (c.Context is not null)
            {
                return;
            }

            c.Context = "answered";
            for (int i = 0; i < Lines; i++)
            {
                c.Writer.WriteString(Line);
            }

            ValueTask flush = c.Writer.FlushAsync();
            if (awaitFlush)
            {
                await flush;
            }

            c.Close();
        }, BackendMatrix.Server(backend) with
        {
            Pollers = 1,
            Tls = TlsTestServer.Options,
            Connection = new ConnectionOptions { Dispatch = dispatch, OutputHighWaterMark = awaitFlush ? 0 : 64 * 1024 * 1024 },
        });

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task A_Close_while_the_flush_is_under_way_sends_every_byte_then_close_notify_to_openssl(PollerBackendKind backend, DispatchMode dispatch)
    {
        foreach (bool awaitFlush in new[] { false, true })
        {
            await using TestServer server = StartLargeResponseThenClose(backend, dispatch, awaitFlush);
            foreach (string flag in new[] { "-tls1_3", "-tls1_2" })
            {
                string output = await SClientAsync(server.EndPoint, flag);
                string context = $"{backend} {dispatch} awaitFlush={awaitFlush} {flag}";
                int lines = CountLines(output);
                Assert.True(lines == Lines, $"{context}: {lines} of {Lines} lines arrived:\n{Tail(output)}");
                // s_client prints "closed" for a close_notify; a FIN without one is an "unexpected eof".
                Assert.True(output.Contains("\nclosed", StringComparison.Ordinal), $"{context}: no close_notify before the FIN:\n{Tail(output)}");
                Assert.DoesNotContain("unexpected eof", output, StringComparison.OrdinalIgnoreCase);
            }
        }
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task A_Close_while_the_flush_is_under_way_reads_to_a_clean_end_in_SslStream(PollerBackendKind backend, DispatchMode dispatch)
    {
        await using TestServer server = StartLargeResponseThenClose(backend, dispatch, awaitFlush: false);
        for (int round = 0; round < 5; round++)
        {
            await using var client = await TlsTestServer.ConnectSslStreamAsync(server.EndPoint);
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            await client.WriteAsync("GET\n"u8.ToArray(), cts.Token);
            Assert.Equal((long)Lines * Line.Length, await ReadToEndAsync(client));
        }
    }

    /// <summary>A server that answers its first request with 16 MiB, flushes without waiting, closes, and reports the close.</summary>
    private static TestServer StartCloseReporting(PollerBackendKind backend, TimeSpan writeTimeout, TaskCompletionSource<Connection> closed, Action<Connection>? afterClose = null) =>
        TestServer.Start(c =>
        {
            c.Reader.Skip(c.Reader.Length);
            if (c.Context is not null)
            {
                return ValueTask.CompletedTask;
            }

            c.Context = "answered";
            c.AddCloseCallback(x => closed.TrySetResult(x));
            for (int i = 0; i < Lines; i++)
            {
                c.Writer.WriteString(Line);
            }

            _ = c.Writer.FlushAsync();
            c.Close();
            afterClose?.Invoke(c);
            return ValueTask.CompletedTask;
        }, BackendMatrix.Server(backend) with
        {
            Pollers = 1,
            Tls = TlsTestServer.Options,
            Connection = new ConnectionOptions { OutputHighWaterMark = 64 * 1024 * 1024, WriteTimeout = writeTimeout },
        });

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task A_Close_whose_peer_stops_reading_ends_at_the_write_timeout_and_the_server_keeps_serving(PollerBackendKind backend)
    {
        var closed = new TaskCompletionSource<Connection>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using TestServer server = StartCloseReporting(backend, TimeSpan.FromMilliseconds(300), closed);

        // A client that asks and never reads: most of the 16 MiB stay in the server's output.
        await using var stalled = await TlsTestServer.ConnectSslStreamAsync(server.EndPoint);
        await stalled.WriteAsync("GET\n"u8.ToArray());
        Connection waited = await closed.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(CloseReason.Local, waited.CloseReason);
        await TestServer.Eventually(() => server.Count(Netpoll.Diagnostics.PollerCounter.Connections) == 0, "the closed connection left the poller");

        // Served after it: a client that reads gets its 16 MiB and a clean end.
        await using var reader = await TlsTestServer.ConnectSslStreamAsync(server.EndPoint);
        await reader.WriteAsync("GET\n"u8.ToArray());
        Assert.Equal((long)Lines * Line.Length, await ReadToEndAsync(reader));
    }

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task An_Abort_ends_a_Close_that_waits_for_its_output(PollerBackendKind backend)
    {
        var closed = new TaskCompletionSource<Connection>(TaskCreationOptions.RunContinuationsAsynchronously);
        var abortedAt = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        // No write timeout: the close would wait for its 10 s limit; the abort, once the close waits, ends it.
        await using TestServer server = StartCloseReporting(backend, TimeSpan.Zero, closed, c => _ = Task.Run(async () =>
        {
            await Task.Delay(300);
            c.Abort();
            abortedAt.TrySetResult(Environment.TickCount64);
        }));

        await using var stalled = await TlsTestServer.ConnectSslStreamAsync(server.EndPoint);
        await stalled.WriteAsync("GET\n"u8.ToArray());
        Connection connection = await closed.Task.WaitAsync(TimeSpan.FromSeconds(30));
        long waitedAfterAbort = Environment.TickCount64 - await abortedAt.Task.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.True(waitedAfterAbort < 8_000, $"the close went on waiting {waitedAfterAbort} ms after the abort (its own limit is 10 s)");
        Assert.Equal(CloseReason.Local, connection.CloseReason);
    }

    private static async Task<long> ReadToEndAsync(System.Net.Security.SslStream client)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        long received = 0;
        byte[] buffer = new byte[64 * 1024];
        int n;
        while ((n = await client.ReadAsync(buffer, cts.Token)) > 0)
        {
            received += n;
        }

        return received;
    }

    [ToolFact("openssl", "openssl")]
    public async Task MarkTruncated_makes_the_close_and_the_half_close_after_it_bare_so_openssl_reads_a_truncation()
    {
        foreach (bool halfClose in new[] { false, true })
        {
            await using TestServer server = TestServer.Start(async c =>
            {
                c.Reader.Skip(c.Reader.Length);
                c.Writer.WriteString("partial");
                await c.Writer.FlushAsync();
                Netpoll.Tls.ConnectionTlsExtensions.MarkTruncated(c);
                if (halfClose)
                {
                    c.ShutdownSend();
                }
                else
                {
                    c.Close();
                }
            }, new EventLoopOptions { Pollers = 1, Tls = TlsTestServer.Options });
            string output = await SClientAsync((IPEndPoint)server.EndPoint, "-tls1_3");
            Assert.Contains("partial", output, StringComparison.Ordinal);
            Assert.False(output.Contains("\nclosed", StringComparison.Ordinal), $"half-close {halfClose}: close_notify after MarkTruncated:\n{Tail(output)}");
            Assert.Contains("unexpected eof", output, StringComparison.OrdinalIgnoreCase);
        }
    }

    /// <summary>openssl s_client sends one line and, ignoring its stdin's end, reads until the server ends the stream.</summary>
    private async Task<string> SClientAsync(IPEndPoint endPoint, string flag) => (await OpensslClient.SClientAsync(endPoint, flag, _directory)).Output;

    private static int CountLines(string output)
    {
        int count = 0;
        for (int at = output.IndexOf(Line, StringComparison.Ordinal); at >= 0; at = output.IndexOf(Line, at + Line.Length, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }

    private static string Tail(string output) => output.Length <= 2000 ? output : output[^2000..];
}
