using System.Net.Sockets;
using DiscardHandler = Netpoll.Protocols.DiscardHandler;
using EchoHandler = Netpoll.Protocols.EchoHandler;
using HttpHandler = Netpoll.Protocols.HttpHandler;
using Netpoll.Connections;
using Netpoll.Polling;
using Netpoll.Server;
using Netpoll.Tests.Support;

namespace Netpoll.Tests.Reactor;

public class DispatchModeTests
{
    [Fact]
    public void Auto_resolves_to_inline_only_for_handlers_that_declare_they_never_block()
    {
        var auto = new ConnectionOptions();
        Assert.Equal(DispatchMode.Auto, auto.Dispatch);
        Assert.Equal(DispatchMode.Inline, auto.ResolveDispatch(new EchoHandler()));
        Assert.Equal(DispatchMode.Inline, auto.ResolveDispatch(new DiscardHandler()));
        Assert.Equal(DispatchMode.Inline, auto.ResolveDispatch(new HttpHandler()));
        Assert.Equal(DispatchMode.ThreadPool, auto.ResolveDispatch(new ThreadRecordingHandler(neverBlocks: false)));
        Assert.Equal(DispatchMode.ThreadPool, auto.ResolveDispatch(null)); // a dialed connection

        Assert.Equal(DispatchMode.ThreadPool, new ConnectionOptions { Dispatch = DispatchMode.ThreadPool }.ResolveDispatch(new EchoHandler()));
        Assert.Equal(DispatchMode.Inline, new ConnectionOptions { Dispatch = DispatchMode.Inline }.ResolveDispatch(new ThreadRecordingHandler(neverBlocks: false)));
    }

    /// <summary>(backend, handler never blocks, mode asked for, runs on the poller).</summary>
    public static TheoryData<PollerBackendKind, bool, DispatchMode, bool> Modes
    {
        get
        {
            var rows = new TheoryData<PollerBackendKind, bool, DispatchMode, bool>();
            foreach (PollerBackendKind backend in BackendMatrix.Kinds)
            {
                rows.Add(backend, true, DispatchMode.Auto, true);
                rows.Add(backend, false, DispatchMode.Auto, false);
                rows.Add(backend, true, DispatchMode.ThreadPool, false);
                rows.Add(backend, false, DispatchMode.Inline, true);
            }

            return rows;
        }
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task The_handler_runs_on_the_poller_thread_exactly_when_the_resolved_mode_is_inline(PollerBackendKind backend, bool neverBlocks, DispatchMode mode, bool onPoller)
    {
        var handler = new ThreadRecordingHandler(neverBlocks);
        await using var server = TestServer.Start(handler, new EventLoopOptions { Backend = backend, Pollers = 1, Connection = new ConnectionOptions { Dispatch = mode } });
        Assert.Equal(onPoller ? DispatchMode.Inline : DispatchMode.ThreadPool, server.Loop.Dispatch);
        using Socket client = await server.ConnectSocketAsync();

        await client.SendAsync("x"u8.ToArray());
        byte[] reply = await client.ReceiveExactlyAsync(1);

        Assert.Equal((byte)'x', reply[0]);
        Assert.Equal(onPoller, handler.LastThreadName?.StartsWith("netpoll-poller-", StringComparison.Ordinal) == true);
    }

    /// <summary>Echoes and records the name of the thread its last call ran on.</summary>
    private sealed class ThreadRecordingHandler(bool neverBlocks) : ConnectionHandler
    {
        private string? _lastThreadName;

        public string? LastThreadName => Volatile.Read(ref _lastThreadName);

        public override bool NeverBlocks => neverBlocks;

        public override ValueTask OnRequestAsync(Connection connection)
        {
            Volatile.Write(ref _lastThreadName, Thread.CurrentThread.Name);
            connection.Writer.AppendFrom(connection.Reader, connection.Reader.Length);
            return connection.Writer.FlushAsync();
        }
    }
}
