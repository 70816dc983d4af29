namespace Netpoll.Connections;

/// <summary>Where <see cref="ConnectionHandler.OnRequestAsync"/> runs.</summary>
public enum DispatchMode
{
    /// <summary>
    /// The handler decides: <see cref="Inline"/> when it declares <see cref="ConnectionHandler.NeverBlocks"/>
    /// (the built-in Echo, Discard and Http handlers do), otherwise <see cref="ThreadPool"/>.
    /// </summary>
    Auto,

    /// <summary>On a ThreadPool thread: handlers may block or take long. Costs a thread hand-off per poller wake.</summary>
    ThreadPool,

    /// <summary>On the poller thread itself: no thread hop, for handlers that never block.</summary>
    Inline,
}
