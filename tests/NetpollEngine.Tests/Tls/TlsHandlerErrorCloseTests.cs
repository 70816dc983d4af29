using System.Collections.Concurrent;
using Netpoll.Connections;
using Netpoll.Polling;
using Netpoll.Tests.Support;

namespace Netpoll.Tests.Tls;

/// <summary>
/// close_notify tells the peer our stream ended where we meant it to (RFC 8446 §6.1). A connection closed because its
/// handler threw may stop mid-response, so it ends without one: the peer sees a truncation ("unexpected eof"), not a
/// clean end it would take for a complete answer. A handler that closes on purpose still sends it. Every backend and
/// dispatch mode, TLS 1.2 and 1.3, against OpenSSL's own client.
/// </summary>
public sealed class TlsHandlerErrorCloseTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("netpoll-tls-handler-error-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    public static TheoryData<PollerBackendKind, DispatchMode> Modes => BackendMatrix.Dispatch;

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task A_handler_that_throws_mid_response_ends_the_stream_without_close_notify_and_one_that_closes_with_it(PollerBackendKind backend, DispatchMode dispatch)
    {
        var reasons = new ConcurrentQueue<CloseReason>();
        await using TestServer server = TlsTestServer.Start(async c =>
        {
            string request = c.Reader.ReadString(c.Reader.Length);
            if (c.Context is not null || !request.EndsWith('\n'))
            {
                return;
            }

            c.Context = "answered";
            c.AddCloseCallback(x => reasons.Enqueue(x.CloseReason));
            c.Writer.WriteString("first half of the answer\n");
            await c.Writer.FlushAsync();
            if (request.StartsWith("throw", StringComparison.Ordinal))
            {
                throw new InvalidOperationException("the handler failed before the second half");
            }

            c.Close();
        }, dispatch, backend);

        foreach (string flag in new[] { "-tls1_3", "-tls1_2" })
        {
            string context = $"{backend} {dispatch} {flag}";

            (_, string failed) = await OpensslClient.SClientAsync(server.EndPoint, flag, _directory, input: "throw\n");
            Assert.True(failed.Contains("first half of the answer", StringComparison.Ordinal), $"{context}: what was flushed before the throw did not arrive:\n{failed}");
            Assert.False(failed.Contains("\nclosed", StringComparison.Ordinal), $"{context}: a close_notify after the handler threw:\n{failed}");
            Assert.True(failed.Contains("unexpected eof", StringComparison.OrdinalIgnoreCase), $"{context}: the peer did not see a truncation:\n{failed}");
            await TestServer.Eventually(() => reasons.Count == 1, $"{context}: the failed connection closed");
            Assert.True(reasons.TryDequeue(out CloseReason thrown) && thrown == CloseReason.HandlerError, $"{context}: closed as {thrown}");

            (_, string closed) = await OpensslClient.SClientAsync(server.EndPoint, flag, _directory, input: "close\n");
            Assert.True(closed.Contains("first half of the answer", StringComparison.Ordinal), $"{context}: the answer before Close did not arrive:\n{closed}");
            Assert.True(closed.Contains("\nclosed", StringComparison.Ordinal), $"{context}: no close_notify before the FIN of Close:\n{closed}");
            Assert.DoesNotContain("unexpected eof", closed, StringComparison.OrdinalIgnoreCase);
            await TestServer.Eventually(() => reasons.Count == 1, $"{context}: the closed connection closed");
            Assert.True(reasons.TryDequeue(out CloseReason local) && local == CloseReason.Local, $"{context}: closed as {local}");
        }
    }
}
