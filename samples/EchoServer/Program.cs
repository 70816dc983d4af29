using Netpoll.Connections;
using Netpoll.Server;

await using var loop = new EventLoop(connection =>
{
    ConnectionReader reader = connection.Reader;
    connection.Writer.AppendFrom(reader, reader.Length); // splice input into output: no copy, no allocation
    return connection.Writer.FlushAsync();               // writev on this thread; EPOLLOUT only if it would block
}, new EventLoopOptions { Connection = new() { IdleTimeout = TimeSpan.FromMinutes(1), Dispatch = DispatchMode.Inline } });

using var listener = NetpollListener.Create(7000);           // 127.0.0.1:7000
Task serving = loop.ServeAsync(listener);                    // returns at once
Console.WriteLine($"echo on {listener.LocalEndPoint}; Enter stops");
Console.ReadLine();
await loop.ShutdownAsync(TimeSpan.FromSeconds(5));           // drain, then force-close at the deadline
