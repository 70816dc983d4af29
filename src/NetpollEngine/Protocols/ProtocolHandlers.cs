using Netpoll.Connections;
using Netpoll.Diagnostics;

namespace Netpoll.Protocols;

/// <summary>Creates the handler for a built-in protocol.</summary>
public static class ProtocolHandlers
{
    /// <param name="protocol">Which protocol.</param>
    /// <param name="stats">For Http's GET /stats: where the server's counters come from.</param>
    public static ConnectionHandler Create(NetpollProtocol protocol, Func<IReadOnlyList<PollerStats>>? stats = null) => protocol switch
    {
        NetpollProtocol.Echo => new EchoHandler(),
        NetpollProtocol.Discard => new DiscardHandler(),
        NetpollProtocol.Http => new HttpHandler(stats),
        _ => throw new ArgumentOutOfRangeException(nameof(protocol), protocol, "Protocol must be Echo, Discard or Http."),
    };
}
