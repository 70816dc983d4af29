namespace Netpoll.Server;

/// <summary>Lifecycle of an <see cref="EventLoop"/>.</summary>
public enum EventLoopState
{
    Created,
    Serving,
    ShuttingDown,
    Stopped,
}
