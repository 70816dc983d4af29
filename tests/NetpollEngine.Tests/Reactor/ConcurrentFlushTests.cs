using System.Net.Sockets;
using System.Text;
using Netpoll.Connections;
using Netpoll.Polling;
using Netpoll.Tests.Support;

namespace Netpoll.Tests.Reactor;

public class ConcurrentFlushTests
{
    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task Several_tasks_writing_and_flushing_one_connection_never_interleave_or_lose_a_message(PollerBackendKind backend)
    {
        const int tasks = 8;
        const int perTask = 200;
        var connected = new TaskCompletionSource<Connection>();
        await using var server = TestServer.Start(new PushHandler(connected), BackendMatrix.Server(backend));
        using Socket client = await server.ConnectSocketAsync();
        Connection connection = await connected.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Task<byte[]> received = client.ReceiveToEndAsync(30_000); // read while the writers write: flushes wait for the peer

        // Each message is one WriteBinary: "<task>:<seq>:<padding>\n", sizes varied so some flushes must wait.
        await Task.WhenAll(Enumerable.Range(0, tasks).Select(t => Task.Run(async () =>
        {
            for (int i = 0; i < perTask; i++)
            {
                string line = $"{t}:{i}:{new string('x', (i * 997) % 5000)}\n";
                connection.Writer.WriteBinary(Encoding.ASCII.GetBytes(line));
                await connection.Writer.FlushAsync();
            }
        })));
        connection.Close();

        string[] lines = Encoding.ASCII.GetString(await received).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(tasks * perTask, lines.Length);
        var next = new int[tasks];
        foreach (string line in lines)
        {
            string[] parts = line.Split(':');
            int t = int.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture);
            int i = int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture);
            Assert.Equal(next[t]++, i); // each task's messages arrive whole and in its order
            Assert.Equal((i * 997) % 5000, parts[2].Length);
        }
    }

    private sealed class PushHandler(TaskCompletionSource<Connection> connected) : ConnectionHandler
    {
        public override ValueTask OnConnectAsync(Connection connection)
        {
            connected.TrySetResult(connection);
            return default;
        }

        public override ValueTask OnRequestAsync(Connection connection) => default;
    }
}
