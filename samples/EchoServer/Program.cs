using Netpoll.Connections;
using Netpoll.Server;

await using var loop = new EventLoop(connection =>
{
    ConnectionReader reader = connection.Reader;
    // Splice input into output (no copy, no allocation) and flush: writev on this thread; EPOLLOUT only if it would block.
    return connection.Writer.AppendFromAndFlushAsync(reader, reader.Length);
}, new EventLoopOptions { Connection = new() { IdleTimeout = TimeSpan.FromMinutes(1), Dispatch = DispatchMode.Inline } });

using var listener = NetpollListener.Create(7000);           // 127.0.0.1:7000
Task serving = loop.ServeAsync(listener);                    // returns at once
Console.WriteLine($"echo on {listener.LocalEndPoint}; Enter stops");
Console.ReadLine();
await loop.ShutdownAsync(TimeSpan.FromSeconds(5));           // drain, then force-close at the deadline
