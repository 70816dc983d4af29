using System.Diagnostics;
using System.Net;
using Netpoll.Client;
using Netpoll.Connections;
using Netpoll.Polling;
using Netpoll.Server;
using Netpoll.Tests.Support;
using Xunit.Abstractions;

namespace Netpoll.Tests.Reactor;

/// <summary>
/// Thousands of idle connections on one poller close at once — a load generator's dialer disposed at the end of a run,
/// a server stopped — and every socket closes, on every backend, and its peer sees it. On io_uring each idle connection
/// has a multishot receive in the kernel that its close cancels; cancelled by fd, each cancel walked every request of the
/// ring: 9,000 closes took 3 s here (epoll: 0.3 s), and at 11,000 the stop's drain overran and left sockets open. How long
/// the close takes is written to the test output and measured, not asserted (a shared machine's timing is no verdict).
/// </summary>
[Collection(ProcessWideCollection.Name)]
public class MassCloseTests(ITestOutputHelper output)
{
    private const int Connections = 9000;
    private const int ConnectsAtOnce = 200;

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public Task A_dialer_disposed_with_9000_idle_connections_on_one_poller_closes_them_all(PollerBackendKind backend) =>
        WithFdsForBothEndsAsync(() => DisposeDialerAsync(backend));

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public Task A_server_stopped_with_9000_idle_connections_on_one_poller_closes_them_all(PollerBackendKind backend) =>
        WithFdsForBothEndsAsync(() => StopServerAsync(backend));

    private async Task DisposeDialerAsync(PollerBackendKind backend)
    {
        await using var server = TestServer.Start(new EchoHandler(), new EventLoopOptions { Backend = backend, Pollers = 1 });
        Dialer dialer = BackendMatrix.Dialer(backend, new DialerOptions { Pollers = 1 });
        try
        {
            await ConnectAsync(dialer, server.EndPoint);
            await TestServer.Eventually(() => server.Loop.ConnectionCount == Connections, () => $"{server.Loop.ConnectionCount} accepted");
            int fdsBefore = ProcessResources.OpenFds;

            var closing = Stopwatch.StartNew();
            await dialer.DisposeAsync();
            closing.Stop();
            output.WriteLine($"{backend}: the dialer closed {Connections} connections in {closing.ElapsedMilliseconds} ms");

            int closed = fdsBefore - ProcessResources.OpenFds;
            Assert.True(closed >= Connections, $"every dialed socket's fd is closed: {closed} of {Connections}");
            await TestServer.Eventually(() => server.Loop.ConnectionCount == 0, () => $"the server still has {server.Loop.ConnectionCount} connections: its peers did not all close");
        }
        finally
        {
            await dialer.DisposeAsync();
        }
    }

    private async Task StopServerAsync(PollerBackendKind backend)
    {
        var server = TestServer.Start(new EchoHandler(), new EventLoopOptions { Backend = backend, Pollers = 1 });
        await using Dialer dialer = BackendMatrix.Dialer(backend, new DialerOptions { Pollers = 1 });
        try
        {
            await ConnectAsync(dialer, server.EndPoint);
            await TestServer.Eventually(() => server.Loop.ConnectionCount == Connections, () => $"{server.Loop.ConnectionCount} accepted");

            var closing = Stopwatch.StartNew();
            await server.Loop.ShutdownAsync(TimeSpan.FromSeconds(10));
            closing.Stop();
            output.WriteLine($"{backend}: the server closed {Connections} connections in {closing.ElapsedMilliseconds} ms");

            Assert.Equal(0, server.Loop.ConnectionCount);
            await TestServer.Eventually(() => dialer.ConnectionCount == 0, () => $"the dialer still has {dialer.ConnectionCount} connections: the server's sockets did not all close");
        }
        finally
        {
            await server.DisposeAsync();
        }
    }

    /// <summary>Runs <paramref name="test"/> with room for both ends of every connection in this process's fd table.</summary>
    private static async Task WithFdsForBothEndsAsync(Func<Task> test)
    {
        using IDisposable fds = ProcessResources.SoftFdLimitAtLeast((2 * Connections) + 1024);
        await test();
    }

    /// <summary>Opens <see cref="Connections"/> idle connections, a bounded number of connects at a time.</summary>
    private static async Task ConnectAsync(Dialer dialer, IPEndPoint target)
    {
        var handler = new EchoHandler();
        for (int opened = 0; opened < Connections; opened += ConnectsAtOnce)
        {
            int batch = Math.Min(ConnectsAtOnce, Connections - opened);
            await Task.WhenAll(Enumerable.Range(0, batch).Select(_ => dialer.ConnectAsync(target, handler, timeout: TimeSpan.FromSeconds(10))));
        }
    }
}
