namespace Netpoll.Protocols;

/// <summary>What the connection does after <see cref="HttpSession.Process"/>.</summary>
internal enum HttpStep
{
    /// <summary>Every complete request is answered; wait for more bytes.</summary>
    NeedMore,

    /// <summary>A response that needs waiting (a delay, a callback) is pending: await it, then process again.</summary>
    Pending,

    /// <summary>The last response said Connection: close (or refused the request): send it and close.</summary>
    Close,
}
