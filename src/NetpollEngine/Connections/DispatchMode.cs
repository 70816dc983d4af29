namespace Netpoll;

/// <summary>Where <see cref="ConnectionHandler.OnRequestAsync"/> runs.</summary>
public enum DispatchMode
{
    /// <summary>On a ThreadPool thread: handlers may block or take long.</summary>
    ThreadPool,

    /// <summary>On the poller thread itself: no thread hop, for handlers that never block.</summary>
    Inline,
}
