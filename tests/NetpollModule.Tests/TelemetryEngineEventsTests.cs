using System.Diagnostics.Tracing;
using System.Net;
using System.Net.Sockets;
using Netpoll.Connections;
using Netpoll.Server;

namespace Netpoll.PowerShell.Tests;

/// <summary>The engine raises its rare events on the Netpoll-Engine EventSource with the right level and payload.</summary>
public class TelemetryEngineEventsTests
{
    [Fact]
    public async Task A_server_raises_started_and_stopped_with_its_endpoint_and_shutdown_outcome()
    {
        string name = $"events-{Guid.NewGuid():N}";
        using var recorder = TelemetryEngineEventRecorder.For(name);
        await using var server = await EventLoopServer.StartAsync(name, _ => ValueTask.CompletedTask, new ConnectionOptions());
        await server.Loop.ShutdownAsync(TimeSpan.FromSeconds(5));

        IReadOnlyDictionary<string, object?> started = recorder.WaitFor("ServerStarted", TimeSpan.FromSeconds(5));
        Assert.Equal(server.EndPoint.ToString(), started["endPoint"]);
        Assert.Equal(1, started["pollers"]);
        IReadOnlyDictionary<string, object?> stopped = recorder.WaitFor("ServerStopped", TimeSpan.FromSeconds(5));
        Assert.Equal(0, stopped["forcedCloses"]);
        Assert.All(recorder.Events, e => Assert.Equal(EventLevel.Informational, e.Level));
    }

    [Fact]
    public async Task Backpressure_raises_on_above_the_high_water_mark_and_off_once_the_handler_drains()
    {
        string name = $"events-{Guid.NewGuid():N}";
        using var recorder = TelemetryEngineEventRecorder.For(name);
        var drain = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await EventLoopServer.StartAsync(name, async c =>
        {
            await drain.Task; // hold the input unread until the test has seen backpressure turn on
            c.Reader.Skip(c.Reader.Length);
            c.Reader.Release();
        }, new ConnectionOptions { InputHighWaterMark = 64 * 1024, InputLowWaterMark = 16 * 1024 });

        using Socket client = await server.ConnectAsync();
        await client.SendAsync(new byte[256 * 1024]); // loopback buffers take it all; the server stops reading at 64 KiB
        IReadOnlyDictionary<string, object?> on = recorder.WaitFor("BackpressureOn", TimeSpan.FromSeconds(10));
        Assert.True((long)on["bufferedBytes"]! >= 64 * 1024, $"paused with {on["bufferedBytes"]} bytes unread");
        drain.SetResult();
        IReadOnlyDictionary<string, object?> off = recorder.WaitFor("BackpressureOff", TimeSpan.FromSeconds(10));
        Assert.Equal(on["connectionId"], off["connectionId"]);
        Assert.All(recorder.Events.Where(e => e.Name.StartsWith("Backpressure", StringComparison.Ordinal)), e => Assert.Equal(EventLevel.Verbose, e.Level));
    }

    [Fact]
    public async Task A_read_timeout_and_a_failing_handler_raise_their_events()
    {
        string name = $"events-{Guid.NewGuid():N}";
        using var recorder = TelemetryEngineEventRecorder.For(name);
        await using var server = await EventLoopServer.StartAsync(name, async c =>
        {
            try
            {
                await c.Reader.WaitAsync(2); // one byte comes, never two: the read timeout fires
            }
            catch (TimeoutException)
            {
                throw new InvalidOperationException("handler gave up");
            }
        }, new ConnectionOptions { ReadTimeout = TimeSpan.FromMilliseconds(150) });

        using Socket client = await server.ConnectAsync();
        await client.SendAsync(new byte[1]);

        IReadOnlyDictionary<string, object?> timedOut = recorder.WaitFor("ConnectionTimedOut", TimeSpan.FromSeconds(10));
        Assert.Equal("read", timedOut["kind"]);
        Assert.Equal(150L, timedOut["timeoutMilliseconds"]);
        IReadOnlyDictionary<string, object?> failed = recorder.WaitFor("HandlerFailed", TimeSpan.FromSeconds(10));
        Assert.Equal(nameof(InvalidOperationException), failed["exceptionType"]);
        Assert.Equal("handler gave up", failed["message"]);
        Assert.Equal(EventLevel.Error, recorder.Events.Single(e => e.Name == "HandlerFailed").Level);
    }

    /// <summary>An engine server on 127.0.0.1:0 with one poller, shut down when disposed.</summary>
    private sealed class EventLoopServer : IAsyncDisposable
    {
        private EventLoopServer(EventLoop loop, IPEndPoint endPoint)
        {
            Loop = loop;
            EndPoint = endPoint;
        }

        public EventLoop Loop { get; }

        public IPEndPoint EndPoint { get; }

        public static Task<EventLoopServer> StartAsync(string name, Func<Connection, ValueTask> onRequest, ConnectionOptions connection)
        {
            var loop = new EventLoop(onRequest, new EventLoopOptions { Name = name, Pollers = 1, Connection = connection });
            var listener = NetpollListener.Create(new IPEndPoint(IPAddress.Loopback, 0));
            _ = loop.ServeAsync(listener);
            return Task.FromResult(new EventLoopServer(loop, (IPEndPoint)listener.LocalEndPoint));
        }

        public async Task<Socket> ConnectAsync()
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await socket.ConnectAsync(EndPoint, timeout.Token);
            return socket;
        }

        public ValueTask DisposeAsync() => new(Loop.ShutdownAsync(TimeSpan.FromSeconds(5)));
    }
}
