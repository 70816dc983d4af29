namespace Netpoll.Protocols;

/// <summary>The built-in protocols a server can speak out of the box.</summary>
public enum NetpollProtocol
{
    /// <summary>Returns every byte.</summary>
    Echo,

    /// <summary>Reads and drops every byte.</summary>
    Discard,

    /// <summary>HTTP/1.1 plaintext: GET / → "Hello, World!", GET /stats → the server's counters as JSON.</summary>
    Http,
}
