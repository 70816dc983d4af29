using System.Net.Sockets;
using Netpoll.Client;
using Netpoll.Connections;
using Netpoll.Polling;
using Netpoll.Protocols;
using Netpoll.Tests.Support;

namespace Netpoll.Tests.Protocols;

public class EchoAndDiscardTests
{
    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task Echo_returns_every_byte_to_a_socket_client_and_to_a_dialed_connection(PollerBackendKind backend)
    {
        await using var server = TestServer.Start(ProtocolHandlers.Create(NetpollProtocol.Echo), BackendMatrix.Server(backend));
        using Socket socket = await server.ConnectSocketAsync();
        byte[] data = new byte[300_000];
        Random.Shared.NextBytes(data);
        await socket.SendAsync(data);
        Assert.Equal(data, await socket.ReceiveExactlyAsync(data.Length));

        await using Dialer dialer = BackendMatrix.Dialer(backend);
        Connection c = await dialer.ConnectAsync(server.EndPoint);
        c.Writer.WriteBinary(data);
        await c.Writer.FlushAsync();
        Assert.True((await c.Reader.NextAsync(data.Length)).Span.SequenceEqual(data));
        c.Close();
    }

    [Theory]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task Discard_reads_and_drops_everything_and_answers_nothing(PollerBackendKind backend)
    {
        await using var server = TestServer.Start(ProtocolHandlers.Create(NetpollProtocol.Discard), BackendMatrix.Server(backend));
        using Socket socket = await server.ConnectSocketAsync();
        await socket.SendAsync(new byte[500_000]);
        socket.Shutdown(SocketShutdown.Send);
        Assert.Empty(await socket.ReceiveToEndAsync());
        await TestServer.Eventually(() => server.Loop.GetStats().Sum(s => s.BytesIn) == 500_000, "every byte was read");
        Assert.Equal(0, server.Loop.GetStats().Sum(s => s.BytesOut));
        Assert.Equal(0, server.Loop.GetStats().Sum(s => s.BufferBytes));
    }

    [Fact]
    public void Unknown_protocols_are_rejected_by_name()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => ProtocolHandlers.Create((NetpollProtocol)42));
        Assert.Contains("Echo, Discard or Http", ex.Message, StringComparison.Ordinal);
    }
}
