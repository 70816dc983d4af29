using System.Net.Sockets;
using Netpoll.Client;
using Netpoll.Connections;
using Netpoll.Server;
using Netpoll.Tests.Support;

namespace Netpoll.Tests.Reactor;

public class EchoTests
{
    [Theory]
    [InlineData(DispatchMode.ThreadPool)]
    [InlineData(DispatchMode.Inline)]
    public async Task A_socket_client_gets_back_exactly_what_it_sent(DispatchMode dispatch)
    {
        await using var server = TestServer.Start(new EchoHandler(), new EventLoopOptions { Connection = new ConnectionOptions { Dispatch = dispatch } });
        using Socket client = await server.ConnectSocketAsync();
        byte[] message = new byte[100_000];
        Random.Shared.NextBytes(message);
        await client.SendAsync(message);
        byte[] echoed = await client.ReceiveExactlyAsync(message.Length);
        Assert.Equal(message, echoed);
    }

    [Fact]
    public async Task A_dialed_connection_reads_the_echo_with_async_waits()
    {
        await using var server = TestServer.Start(new EchoHandler());
        await using var dialer = new Dialer(new DialerOptions { Pollers = 1 });
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
