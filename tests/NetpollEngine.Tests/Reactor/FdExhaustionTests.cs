using System.Net.Sockets;
using Netpoll.Polling;
using Netpoll.Server;
using Netpoll.Tests.Support;

namespace Netpoll.Tests.Reactor;

[Collection(ProcessWideCollection.Name)]
public class FdExhaustionTests
{
    // Far more work items than this test ever runs at once, so no worker starts while fds are out.
    private const int IdleWorkers = 32;

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task Out_of_fds_the_server_keeps_serving_its_connections_backs_off_and_accepts_again_when_fds_free_up(PollerBackendKind backend)
    {
        var echo = new EchoHandler();
        await using var server = TestServer.Start(echo, new EventLoopOptions { Backend = backend, Pollers = 1 });
        var first = new List<Socket>();
        for (int i = 0; i < 10; i++)
        {
            first.Add(await server.ConnectSocketAsync());
        }

        await TestServer.Eventually(() => server.Loop.ConnectionCount == 10, "the first ten are accepted");

        // Sockets for the next clients exist before the limit drops: connect() needs no new fd.
        var late = Enumerable.Range(0, 10).Select(_ => new Socket(SocketType.Stream, ProtocolType.Tcp)).ToList();
        ulong original = ProcessResources.SoftFdLimit;

        // Earlier tests' unreachable sockets close in finalizers: let them close now, not under the lowered limit,
        // where each would make room for one more accept and the server might never hit EMFILE.
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();

        // Under the lowered limit the process has no fd to start a thread with, and the runtime's thread pool
        // dies ("Out of memory.") when it fails to add a worker: let it have its workers now (see StartIdleWorkers).
        ThreadPoolWarmUp.StartIdleWorkers(IdleWorkers);
        try
        {
            ProcessResources.SoftFdLimit = (ulong)ProcessResources.OpenFds + 2;
            foreach (Socket s in late)
            {
                await s.ConnectAsync(server.EndPoint); // completes in the kernel's accept queue
            }

            await TestServer.Eventually(() => server.Loop.GetStats().Single().AcceptBackoffs > 0, "accept backs off on EMFILE");
            long waitsBefore = server.Loop.GetStats().Single().Waits;

            // Existing connections are still served while accept is paused.
            foreach (Socket s in first)
            {
                await s.SendAsync(new byte[] { 7 });
                Assert.Equal(7, (await s.ReceiveExactlyAsync(1))[0]);
            }

            await Task.Delay(300);
            long waitsDuring = server.Loop.GetStats().Single().Waits - waitsBefore;
            Assert.True(waitsDuring < 200, $"the poller looped {waitsDuring} times in 300 ms while out of fds: a busy loop");
        }
        finally
        {
            ProcessResources.SoftFdLimit = original;
        }

        // With fds back, the queued clients are accepted and served.
        foreach (Socket s in late)
        {
            await s.SendAsync(new byte[] { 9 });
            Assert.Equal(9, (await s.ReceiveExactlyAsync(1, 15_000))[0]);
        }

        Assert.Equal(20, server.Loop.ConnectionCount);
        first.ForEach(s => s.Dispose());
        late.ForEach(s => s.Dispose());
    }
}
