using System.Net;
using System.Net.Sockets;

namespace Netpoll.Bench;

/// <summary>
/// What a .NET developer writes by default: an AcceptAsync loop and, per connection, an async
/// ReceiveAsync/SendAsync loop over its own 4 KiB array. TCP_NODELAY as every server here sets it.
/// The Memory overloads (ValueTask, pooled awaitables): <c>ReceiveAsync(byte[], ...)</c> binds to the
/// ArraySegment overload, which returns a Task and allocates per call; a fair baseline avoids that.
/// Run it with DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1 for the "inline" variant.
/// </summary>
internal sealed class SocketsEchoServer(IPEndPoint endPoint) : IBenchServer
{
    private readonly Socket _listener = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
    private readonly CancellationTokenSource _stop = new();
    private long _connections;
    private Task? _accepting;

    public Task<int> StartAsync()
    {
        _listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        _listener.Bind(endPoint);
        _listener.Listen(); // backlog: the system's maximum
        _accepting = AcceptLoopAsync();
        return Task.FromResult(((IPEndPoint)_listener.LocalEndPoint!).Port);
    }

    public ServerCounters Counters() => new(Interlocked.Read(ref _connections), -1, -1, -1);

    public async Task StopAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _listener.Dispose();
        if (_accepting is not null)
        {
            await Task.WhenAny(_accepting, Task.Delay(2000)).ConfigureAwait(false);
        }
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException or OperationCanceledException)
            {
                if (_stop.IsCancellationRequested)
                {
                    return;
                }

                await Task.Delay(10).ConfigureAwait(false); // EMFILE and friends: back off a little
                continue;
            }

            _ = EchoAsync(client);
        }
    }

    private async Task EchoAsync(Socket client)
    {
        Interlocked.Increment(ref _connections);
        try
        {
            client.NoDelay = true;
            byte[] buffer = new byte[4096];
            while (true)
            {
                int n = await client.ReceiveAsync(buffer.AsMemory(), SocketFlags.None).ConfigureAwait(false);
                if (n == 0)
                {
                    break;
                }

                await client.SendAsync(buffer.AsMemory(0, n), SocketFlags.None).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
        }
        finally
        {
            client.Dispose();
            Interlocked.Decrement(ref _connections);
        }
    }
}
