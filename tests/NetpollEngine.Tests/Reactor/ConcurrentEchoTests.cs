using Netpoll.Client;
using Netpoll.Connections;
using Netpoll.Diagnostics;
using Netpoll.Polling;
using Netpoll.Server;
using Netpoll.Tests.Support;

namespace Netpoll.Tests.Reactor;

public class ConcurrentEchoTests
{
    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task Two_thousand_connections_with_random_sizes_get_their_bytes_back_intact(PollerBackendKind backend)
    {
        const int connections = 2000;
        await using var server = TestServer.Start(new EchoHandler(), new EventLoopOptions { Backend = backend, Pollers = 2 });
        await using Dialer dialer = BackendMatrix.Dialer(backend);
        var seed = Environment.TickCount;
        var random = new Random(seed);

        // Sizes are log-uniform from 1 B to 1 MiB, so both tiny and large messages are common.
        int[] sizes = [.. Enumerable.Range(0, connections).Select(_ => (int)Math.Pow(2, random.NextDouble() * 20))];
        long total = 0;
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        var tasks = new Task[connections];
        using var gate = new SemaphoreSlim(256); // bound connects in flight, not connections open
        for (int i = 0; i < connections; i++)
        {
            int size = sizes[i];
            int id = i;
            tasks[i] = Task.Run(async () =>
            {
                await gate.WaitAsync(cts.Token);
                Connection c;
                try
                {
                    c = await dialer.ConnectAsync(server.EndPoint, cancellationToken: cts.Token);
                }
                finally
                {
                    gate.Release();
                }

                byte[] message = new byte[size];
                new Random(seed + id).NextBytes(message);
                c.Writer.WriteBinary(message);
                await c.Writer.FlushAsync(cts.Token);
                await c.Reader.WaitAsync(size, cts.Token);
                ReadOnlyMemory<byte> echoed = c.Reader.Next(size);
                Assert.True(echoed.Span.SequenceEqual(message), $"connection {id} ({size} B) got different bytes back (seed {seed})");
                c.Reader.Release();
                Interlocked.Add(ref total, size);
                c.Close();
            }, cts.Token);
        }

        await Task.WhenAll(tasks);
        Assert.Equal(sizes.Sum(s => (long)s), total);
        await TestServer.Eventually(() => server.Loop.ConnectionCount == 0, "the server closed every connection the clients closed");
        IReadOnlyList<PollerStats> stats = server.Loop.GetStats();
        Assert.Equal(connections, stats.Sum(s => s.Accepted));
        Assert.Equal(connections, stats.Sum(s => s.Closed));
        Assert.Equal(total, stats.Sum(s => s.BytesIn));
        Assert.Equal(total, stats.Sum(s => s.BytesOut));
        Assert.Equal(0, stats.Sum(s => s.BufferBytes));
    }
}
