using System.Buffers.Binary;
using System.Net.Sockets;
using Netpoll.Connections;
using Netpoll.Polling;
using Netpoll.Server;
using Netpoll.Tests.Support;

namespace Netpoll.Tests.Reactor;

public class ResetWhilePausedTests
{
    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task A_peer_reset_while_reading_is_paused_still_hands_the_handler_every_byte_the_kernel_acknowledged(PollerBackendKind backend)
    {
        var received = new MemoryStream();
        var release = new TaskCompletionSource();
        var ended = new TaskCompletionSource<Exception>(TaskCreationOptions.RunContinuationsAsynchronously);
        var options = new EventLoopOptions { Backend = backend, Connection = new ConnectionOptions { InputHighWaterMark = 64 * 1024, InputLowWaterMark = 16 * 1024 } };
        await using TestServer server = TestServer.Start(async c =>
        {
            await release.Task; // hold the first call: input fills to the mark and reading pauses
            try
            {
                while (true)
                {
                    ConnectionReader reader = c.Reader;
                    await reader.WaitAsync(1);
                    lock (received)
                    {
                        received.Write(reader.Next(reader.Length).Span);
                    }

                    reader.Release();
                }
            }
            catch (Exception ex) when (ex is ConnectionClosedException or EndOfStreamException)
            {
                ended.TrySetResult(ex);
            }
        }, options);
        Socket client = await server.ConnectSocketAsync();
        byte[] data = new byte[16 * 1024 * 1024];
        Random.Shared.NextBytes(data);

        // Send until the server paused, then a little more that the kernel acknowledges: it waits there.
        int sent = 0;
        while (server.Loop.GetStats().Sum(p => p.Paused) == 0)
        {
            Assert.True(sent < 8 * 1024 * 1024, "the server never paused reading");
            await client.SendAsync(data.AsMemory(sent, 16 * 1024));
            sent += 16 * 1024;
            await WaitUntilAcknowledgedAsync(client);
        }

        await client.SendAsync(data.AsMemory(sent, 32 * 1024));
        sent += 32 * 1024;
        await WaitUntilAcknowledgedAsync(client);
        client.LingerState = new LingerOption(true, 0);
        client.Close(); // reset
        await Task.Delay(50);
        release.SetResult();

        Assert.IsType<ConnectionClosedException>(await ended.Task.WaitAsync(TimeSpan.FromSeconds(20)));
        lock (received)
        {
            Assert.True(data.AsSpan(0, sent).SequenceEqual(received.ToArray()), $"the client sent {sent} bytes, all acknowledged, before its reset; the handler got {received.Length}");
        }
    }

    private static async Task WaitUntilAcknowledgedAsync(Socket socket)
    {
        var info = new byte[232];
        long until = Environment.TickCount64 + 20_000;
        while (true)
        {
            socket.GetRawSocketOption(6 /* IPPROTO_TCP */, 11 /* TCP_INFO */, info);
            if (BinaryPrimitives.ReadUInt32LittleEndian(info.AsSpan(24)) == 0 && BinaryPrimitives.ReadUInt32LittleEndian(info.AsSpan(144)) == 0)
            {
                return;
            }

            Assert.True(Environment.TickCount64 < until, "the server's kernel did not acknowledge what was sent");
            await Task.Delay(2);
        }
    }
}
