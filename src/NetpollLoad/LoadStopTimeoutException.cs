namespace Netpoll.Load;

/// <summary>
/// A load test ran and measured, but closing its connections afterwards overran the stop's bound (the generator's
/// pollers did not stop). <see cref="Result"/> is the whole result: the run was over before the close began. The
/// pollers that did not stop keep their sockets and buffers until the process exits.
/// </summary>
public sealed class LoadStopTimeoutException : TimeoutException
{
    public LoadStopTimeoutException(string message, LoadResult result, Exception? innerException = null)
        : base(message, innerException)
    {
        ArgumentNullException.ThrowIfNull(result);
        Result = result;
    }

    /// <summary>What the run measured, complete.</summary>
    public LoadResult Result { get; }
}
