using System.Net.Sockets;
using Netpoll.Client;
using Netpoll.Connections;
using Netpoll.Polling;
using Netpoll.Server;
using Netpoll.Tests.Support;

namespace Netpoll.Tests.Reactor;

public class EchoTests
{
    [Theory]
    [MemberData(nameof(BackendMatrix.Dispatch), MemberType = typeof(BackendMatrix))]
    public async Task A_socket_client_gets_back_exactly_what_it_sent(PollerBackendKind backend, DispatchMode dispatch)
    {
        await using var server = TestServer.Start(new EchoHandler(), new EventLoopOptions { Backend = backend, Connection = new ConnectionOptions { Dispatch = dispatch } });
        using Socket client = await server.ConnectSocketAsync();
        byte[] message = new byte[100_000];
        Random.Shared.NextBytes(message);
        await client.SendAsync(message);
        byte[] echoed = await client.ReceiveExactlyAsync(message.Length);
        Assert.Equal(message, echoed);
    }

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task A_dialed_connection_reads_the_echo_with_async_waits(PollerBackendKind backend)
    {
        await using var server = TestServer.Start(new EchoHandler(), BackendMatrix.Server(backend));
        await using Dialer dialer = BackendMatrix.Dialer(backend);
        Connection connection = await dialer.ConnectAsync(server.EndPoint);
        connection.Writer.WriteString("hello\n");
        await connection.Writer.FlushAsync();
        ReadOnlyMemory<byte> line = await connection.Reader.UntilAsync((byte)'\n');
        Assert.Equal("hello\n", System.Text.Encoding.ASCII.GetString(line.Span));
        connection.Reader.Release();
        connection.Close();
        await TestServer.Eventually(() => dialer.ConnectionCount == 0, "the dialed connection is gone");
    }
}
