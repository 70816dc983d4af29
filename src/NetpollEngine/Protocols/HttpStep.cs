namespace Netpoll.Protocols;

/// <summary>What the connection does after <see cref="HttpSession.Process"/>.</summary>
internal enum HttpStep
{
    /// <summary>Every complete request is answered; wait for more bytes.</summary>
    NeedMore,

    /// <summary>A response that needs waiting (a delay, a callback) is pending: await it, then process again.</summary>
    Pending,

    /// <summary>The last response said Connection: close: send it and close.</summary>
    Close,

    /// <summary>
    /// A refusal was written (400, 408, 413, ...): send it, stop sending (FIN), and read and drop what the
    /// client still sends until it closes or <see cref="HttpSession.LingerTime"/> passes, then close. Closing
    /// at once with unread input would make the kernel reset the connection, and the client could lose the
    /// refusal (nginx's lingering close).
    /// </summary>
    Linger,
}
