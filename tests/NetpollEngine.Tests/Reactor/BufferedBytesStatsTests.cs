using System.Net.Sockets;
using Netpoll.Polling;
using Netpoll.Server;
using Netpoll.Tests.Support;

namespace Netpoll.Tests.Reactor;

public class BufferedBytesStatsTests
{
    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task BufferBytes_counts_input_a_handler_has_not_read_and_returns_to_zero_when_it_reads(PollerBackendKind backend)
    {
        var consume = new TaskCompletionSource();
        await using var server = TestServer.Start(async c =>
        {
            // Leave the first message unread until the test has looked at the stats.
            await consume.Task;
            c.Reader.Skip(c.Reader.Length);
        }, new EventLoopOptions { Backend = backend, Pollers = 2 });
        using Socket client = await server.ConnectSocketAsync();
        await client.SendAsync(new byte[3000]);

        await TestServer.Eventually(() => server.Loop.GetStats().Sum(s => s.BufferBytes) == 3000, "3000 unread bytes are counted");
        consume.SetResult();
        await TestServer.Eventually(() => server.Loop.GetStats().Sum(s => s.BufferBytes) == 0, "read input is no longer counted");
    }
}
