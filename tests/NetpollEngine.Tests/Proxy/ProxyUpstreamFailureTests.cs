using System.Net;
using System.Net.Sockets;
using Netpoll.Connections;
using Netpoll.Proxy;

namespace Netpoll.Tests.Proxy;

/// <summary>An upstream that refuses, cannot be reached, is too slow to accept or resets: the client is closed or reset as configured, the cause is counted, and nothing the upstream sent is lost.</summary>
public class ProxyUpstreamFailureTests : ProxyTestBase
{
    [Theory]
    [InlineData(UpstreamFailureAction.Close, SocketError.Success)]
    [InlineData(UpstreamFailureAction.Reset, SocketError.ConnectionReset)]
    public async Task A_refused_upstream_closes_or_resets_the_client_and_is_counted(UpstreamFailureAction action, SocketError expected)
    {
        IPEndPoint nobody = FreePort();
        await using TcpProxy proxy = StartProxy(nobody, o => o with { OnUpstreamFailure = action });
        (byte[] data, SocketError end) = ([], SocketError.ConnectionReset);
        try
        {
            using Socket client = await ProxyHarness.ConnectAsync(proxy.EndPoint);
            (data, end) = await ProxyHarness.ReceiveUntilClosedAsync(client);
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionReset)
        {
            // The reset can beat the client's own connect completing: that is the same answer.
        }

        Assert.Empty(data);
        Assert.Equal(expected, end);
        await ProxyHarness.Eventually(() => proxy.GetStats().ClosedBy(ProxyCloseCause.UpstreamRefused) == 1, "the refusal was counted");
    }

    [Fact]
    public async Task An_unreachable_upstream_is_counted_as_unreachable()
    {
        string path = Path.Combine(Path.GetTempPath(), $"netpoll-proxy-nobody-{Guid.NewGuid():N}.sock");
        await using TcpProxy proxy = StartProxy(new UnixDomainSocketEndPoint(path));
        using Socket client = await ProxyHarness.ConnectAsync(proxy.EndPoint);

        (byte[] data, SocketError end) = await ProxyHarness.ReceiveUntilClosedAsync(client);

        Assert.Empty(data);
        Assert.Equal(SocketError.Success, end);
        await ProxyHarness.Eventually(() => proxy.GetStats().ClosedBy(ProxyCloseCause.UpstreamUnreachable) == 1, "the failure was counted as unreachable");
    }

    [Fact]
    public async Task An_upstream_that_never_accepts_times_out_the_dial()
    {
        // A listener whose accept queue is full drops SYNs: the connect hangs until the dial timeout.
        using var upstream = new RawUpstream(backlog: 1);
        var fillers = new List<Socket>();
        try
        {
            await FillAcceptQueue(upstream, fillers);
            await using TcpProxy proxy = StartProxy(upstream.EndPoint, o => o with { DialTimeout = TimeSpan.FromMilliseconds(300) });
            using Socket client = await ProxyHarness.ConnectAsync(proxy.EndPoint);

            (byte[] data, SocketError end) = await ProxyHarness.ReceiveUntilClosedAsync(client);

            Assert.Empty(data);
            Assert.Equal(SocketError.Success, end);
            await ProxyHarness.Eventually(() => proxy.GetStats().ClosedBy(ProxyCloseCause.UpstreamTimeout) == 1, "the dial timeout was counted");
        }
        finally
        {
            fillers.ForEach(s => s.Dispose());
        }
    }

    [Theory]
    [InlineData(UpstreamFailureAction.Close, SocketError.Success, false)]
    [InlineData(UpstreamFailureAction.Reset, SocketError.ConnectionReset, false)]
    [InlineData(UpstreamFailureAction.Close, SocketError.Success, true)]
    [InlineData(UpstreamFailureAction.Reset, SocketError.ConnectionReset, true)]
    public async Task An_upstream_reset_mid_stream_loses_no_byte_it_sent_before_the_reset(UpstreamFailureAction action, SocketError expected, bool clientStalled)
    {
        await using ProxiedPair pair = await StartPairAsync(o => o with
        {
            OnUpstreamFailure = action,
            Connection = new ConnectionOptions { InputHighWaterMark = 64 * 1024, InputLowWaterMark = 16 * 1024 },
        });
        (Socket client, Socket server, TcpProxy proxy) = (pair.Client, pair.Server, pair.Proxy);
        client.ReceiveBufferSize = 64 * 1024;
        byte[] data = ProxyHarness.RandomBytes(16 * 1024 * 1024, 9);
        int sent;
        Task<(byte[] Data, SocketError End)>? reading = null;
        if (clientStalled)
        {
            // The client reads nothing until after the reset: send until the proxy pauses reading the
            // upstream, then a little more, all acknowledged: that part waits in the proxy's kernel. The proxy
            // may resume once meanwhile (its send buffer to the client can still grow), so the little more is
            // sent again until a pause outlasts it.
            sent = 0;
            bool pausedAfterMore = false;
            while (!pausedAfterMore)
            {
                while (proxy.GetPollerStats().Sum(p => p.Paused) == 0)
                {
                    Assert.True(sent < 12 * 1024 * 1024, "the proxy never paused reading the upstream");
                    await server.SendAsync(data.AsMemory(sent, 64 * 1024));
                    sent += 64 * 1024;
                    await ProxyHarness.WaitUntilAcknowledgedAsync(server);
                }

                Assert.True(sent < 12 * 1024 * 1024, "the proxy never stayed paused while the upstream sent");
                await server.SendAsync(data.AsMemory(sent, 32 * 1024));
                sent += 32 * 1024;
                await ProxyHarness.WaitUntilAcknowledgedAsync(server);
                pausedAfterMore = proxy.GetPollerStats().Sum(p => p.Paused) == 1;
            }
        }
        else
        {
            // A slow client: the proxy goes in and out of backpressure while the upstream sends.
            sent = 3 * 1024 * 1024;
            reading = ProxyHarness.ReceiveUntilClosedAsync(client, chunk: 32 * 1024, pauseMs: 2, timeoutMs: 60_000);
            await server.SendAsync(data.AsMemory(0, sent));
            await ProxyHarness.WaitUntilAcknowledgedAsync(server); // every byte reached the proxy's kernel
        }

        ProxyHarness.Reset(server);

        (byte[] received, SocketError end) = await (reading ?? ProxyHarness.ReceiveUntilClosedAsync(client, timeoutMs: 60_000));
        Assert.True(data.AsSpan(0, sent).SequenceEqual(received), $"the upstream sent {sent} bytes before its reset; the client got {received.Length}");
        Assert.Equal(expected, end);
        await ProxyHarness.Eventually(() => proxy.GetStats().ClosedBy(ProxyCloseCause.UpstreamReset) == 1, "the reset was counted");
    }

    [Fact]
    public async Task An_upstream_that_answers_and_resets_while_the_client_sends_loses_no_byte_of_its_answer()
    {
        // The upstream reads a little, answers 100,000 bytes, waits until the proxy acknowledged them, and resets
        // while the client is still sending: the proxy's writes to it fail. The client must get the whole answer,
        // then an end. Repeated, because whether the proxy's write or its read meets the reset first is a race.
        const int Rounds = 10;
        const int AnswerSize = 1_000_000;
        byte[] answer = ProxyHarness.RandomBytes(AnswerSize, 16);
        for (int round = 0; round < Rounds; round++)
        {
            await using ProxiedPair pair = await StartPairAsync(o => o with
            {
                Connection = new ConnectionOptions { InputHighWaterMark = 64 * 1024, InputLowWaterMark = 16 * 1024 },
            });
            (Socket client, Socket server, TcpProxy proxy) = (pair.Client, pair.Server, pair.Proxy);
            using var sending = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            Task keepSending = SendUntilStoppedAsync(client, sending.Token);
            await Support.SocketExtensions.ReceiveExactlyAsync(server, 1024); // the client is sending

            // The upstream reads no more: the proxy pauses reading the client, whose bytes then wait unread in
            // the proxy's kernel. The client reads nothing until after the reset, so the answer's tail waits in
            // the proxy's kernel too (the client's window is smaller than the answer).
            await ProxyHarness.Eventually(() => proxy.GetPollerStats().Sum(p => p.Paused) > 0, "the proxy paused reading the client");
            await server.SendAsync(answer);
            await ProxyHarness.WaitUntilAcknowledgedAsync(server); // every byte of the answer is the proxy's
            ProxyHarness.Reset(server);

            (byte[] received, SocketError end) = await ProxyHarness.ReceiveUntilClosedAsync(client, timeoutMs: 30_000);
            await sending.CancelAsync();
            await keepSending;
            Assert.True(answer.AsSpan().SequenceEqual(received), $"round {round}: the upstream's answer was {AnswerSize} bytes, all acknowledged by the proxy; the client got {received.Length}");
            Assert.True(end is SocketError.Success or SocketError.ConnectionReset, $"round {round}: the client's connection ended with {end}");
        }
    }

    [Fact]
    public async Task A_client_reset_closes_the_upstream_and_is_counted()
    {
        await using ProxiedPair pair = await StartPairAsync();
        (Socket client, Socket server, TcpProxy proxy) = (pair.Client, pair.Server, pair.Proxy);
        await client.SendAsync("partial"u8.ToArray());
        Assert.Equal("partial"u8.ToArray(), await Support.SocketExtensions.ReceiveExactlyAsync(server, 7));

        ProxyHarness.Reset(client);

        (byte[] rest, SocketError _) = await ProxyHarness.ReceiveUntilClosedAsync(server);
        Assert.Empty(rest);
        await ProxyHarness.Eventually(() => proxy.GetStats().ClosedBy(ProxyCloseCause.ClientReset) == 1, "the client's reset was counted");
    }

    /// <summary>Sends as fast as the proxy takes it until <paramref name="stop"/> fires or the connection ends (bounded by the token's time).</summary>
    private static async Task SendUntilStoppedAsync(Socket socket, CancellationToken stop)
    {
        var chunk = new byte[16 * 1024];
        try
        {
            while (!stop.IsCancellationRequested)
            {
                await socket.SendAsync(chunk, SocketFlags.None, stop);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // stopped, or the proxy ended the connection: sending is over either way
        }
    }

    private static IPEndPoint FreePort()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return (IPEndPoint)probe.LocalEndPoint!; // closed without listening: connects are refused
    }

    private static async Task FillAcceptQueue(RawUpstream upstream, List<Socket> fillers)
    {
        for (int i = 0; i < 16; i++)
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            fillers.Add(socket);
            using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
            try
            {
                await socket.ConnectAsync(upstream.EndPoint, cts.Token);
            }
            catch (OperationCanceledException)
            {
                return; // this one hangs: the queue is full
            }
        }

        Assert.Fail("the listener's accept queue never filled");
    }
}
