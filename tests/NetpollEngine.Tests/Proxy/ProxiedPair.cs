using System.Net.Sockets;
using Netpoll.Proxy;

namespace Netpoll.Tests.Proxy;

/// <summary>A client socket, a proxy with the given toxics, and the upstream socket the proxy dialed for that client.</summary>
internal sealed class ProxiedPair : IAsyncDisposable
{
    private ProxiedPair(RawUpstream upstream, TcpProxy proxy, Socket client, Socket server)
    {
        Upstream = upstream;
        Proxy = proxy;
        Client = client;
        Server = server;
    }

    public RawUpstream Upstream { get; }

    public TcpProxy Proxy { get; }

    /// <summary>The test's client, connected to the proxy.</summary>
    public Socket Client { get; }

    /// <summary>The upstream's end of the connection the proxy dialed.</summary>
    public Socket Server { get; }

    public static async Task<ProxiedPair> StartAsync(Func<TcpProxyOptions, TcpProxyOptions>? configure = null, params Toxic[] toxics)
    {
        var upstream = new RawUpstream();
        TcpProxy proxy = ProxyHarness.Start(upstream.EndPoint, configure);
        foreach (Toxic toxic in toxics)
        {
            await proxy.AddToxicAsync(toxic);
        }

        Socket client = await ProxyHarness.ConnectAsync(proxy.EndPoint);
        Socket server = await upstream.AcceptAsync();
        return new ProxiedPair(upstream, proxy, client, server);
    }

    public static Task<ProxiedPair> StartAsync(params Toxic[] toxics) => StartAsync(null, toxics);

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        Server.Dispose();
        await Proxy.DisposeAsync();
        Upstream.Dispose();
    }
}
