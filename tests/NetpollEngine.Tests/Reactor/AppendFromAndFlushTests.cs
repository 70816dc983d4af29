using System.Net.Sockets;
using System.Text;
using Netpoll.Connections;
using Netpoll.Polling;
using Netpoll.Server;
using Netpoll.Tests.Support;

namespace Netpoll.Tests.Reactor;

/// <summary>Writer.AppendFromAndFlushAsync: AppendFrom and FlushAsync as one writer call.</summary>
public class AppendFromAndFlushTests
{
    [Theory]
    [MemberData(nameof(BackendMatrix.Dispatch), MemberType = typeof(BackendMatrix))]
    public async Task It_moves_n_input_bytes_after_what_was_written_before_and_sends_both(PollerBackendKind backend, DispatchMode dispatch)
    {
        // Each request is 7 bytes, "<digit><6 payload bytes>": the handler answers "[" + the first <digit> payload bytes, and drops the rest.
        await using var server = TestServer.Start(async connection =>
        {
            ConnectionReader reader = connection.Reader;
            while (reader.Length >= 7)
            {
                int n = reader.Next(1).Span[0] - '0';
                connection.Writer.WriteString("[");
                await connection.Writer.AppendFromAndFlushAsync(reader, n);
                reader.Skip(6 - n);
                reader.Release();
            }
        }, new EventLoopOptions { Backend = backend, Connection = new ConnectionOptions { Dispatch = dispatch } });
        using Socket client = await server.ConnectSocketAsync();

        await client.SendAsync(Encoding.ASCII.GetBytes("3abcdef"));
        Assert.Equal("[abc", Encoding.ASCII.GetString(await client.ReceiveExactlyAsync(4)));
        await client.SendAsync(Encoding.ASCII.GetBytes("0uvwxyz2pqrstu")); // nothing moved: what was written before still goes
        Assert.Equal("[[pq", Encoding.ASCII.GetString(await client.ReceiveExactlyAsync(4)));
    }

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task After_a_close_it_throws_and_leaves_the_input_unread(PollerBackendKind backend)
    {
        var outcome = new TaskCompletionSource<(Exception? Error, int Left)>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = TestServer.Start(async connection =>
        {
            connection.Close();
            int length = connection.Reader.Length;
            try
            {
                await connection.Writer.AppendFromAndFlushAsync(connection.Reader, length);
                outcome.TrySetResult((null, connection.Reader.Length));
            }
            catch (ConnectionClosedException ex)
            {
                outcome.TrySetResult((ex, connection.Reader.Length));
            }
        }, BackendMatrix.Server(backend));
        using Socket client = await server.ConnectSocketAsync();
        await client.SendAsync(Encoding.ASCII.GetBytes("hello"));

        (Exception? error, int left) = await outcome.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.IsType<ConnectionClosedException>(error);
        Assert.Equal(5, left);
    }

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task More_than_the_input_holds_is_refused_and_nothing_is_sent(PollerBackendKind backend)
    {
        var refused = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = TestServer.Start(async connection =>
        {
            ConnectionReader reader = connection.Reader;
            if (reader.Length < 4)
            {
                return; // wait for the whole "ping"
            }

            try
            {
                await connection.Writer.AppendFromAndFlushAsync(reader, reader.Length + 1);
                refused.TrySetResult(null);
            }
            catch (ArgumentOutOfRangeException ex)
            {
                refused.TrySetResult(ex);
            }

            // The connection still works: the whole input goes back.
            await connection.Writer.AppendFromAndFlushAsync(reader, reader.Length);
            reader.Release();
        }, BackendMatrix.Server(backend));
        using Socket client = await server.ConnectSocketAsync();
        await client.SendAsync(Encoding.ASCII.GetBytes("ping"));

        Assert.IsType<ArgumentOutOfRangeException>(await refused.Task.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal("ping", Encoding.ASCII.GetString(await client.ReceiveExactlyAsync(4)));
    }
}
