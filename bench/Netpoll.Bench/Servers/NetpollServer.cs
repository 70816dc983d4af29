using System.Net;
using System.Security.Cryptography.X509Certificates;
using Netpoll.Buffers;
using Netpoll.Connections;
using Netpoll.Polling;
using Netpoll.Protocols;
using Netpoll.Server;
using Netpoll.Tls;

namespace Netpoll.Bench;

/// <summary>
/// The engine with its built-in Echo (zero-copy splice) or Http handler, or Http with a user's table of
/// mock routes (<see cref="MockRoutes"/>) whose static <c>GET /</c> sends the same bytes as the built-in one;
/// on the backend named (never Auto: a bench names what it measures); with TLS when given a certificate (ALPN http/1.1).
/// </summary>
internal sealed class NetpollServer(IPEndPoint endPoint, NetpollServer.Protocol protocol, DispatchMode dispatch, int pollers, PollerBackendKind backend = PollerBackendKind.Epoll, bool submissionPolling = false, X509Certificate2? certificate = null) : IBenchServer
{
    private EventLoop? _loop;

    public enum Protocol
    {
        Echo,
        Http,
        HttpMock,
    }

    public Task<int> StartAsync()
    {
        var options = new EventLoopOptions
        {
            Name = protocol switch { Protocol.Echo => "bench-echo", Protocol.Http => "bench-http", _ => "bench-http-mock" },
            Connection = new ConnectionOptions { Dispatch = dispatch },
            Backend = backend,
            IoUring = new IoUringOptions { SubmissionPolling = submissionPolling },
            Tls = certificate is null ? null : new TlsServerOptions { Certificate = certificate, ApplicationProtocols = protocol == Protocol.Echo ? null : ["http/1.1"] },
        };
        if (pollers > 0)
        {
            options = options with { Pollers = pollers };
        }

        EventLoop? loop = null;
        ConnectionHandler handler = protocol switch
        {
            Protocol.Echo => new EchoHandler(),
            Protocol.Http => new HttpHandler(() => loop?.GetStats() ?? []),
            _ => new HttpHandler(MockRoutes()),
        };
        loop = new EventLoop(handler, options);
        _loop = loop;
        if (loop.BackendInUse != backend)
        {
            throw new InvalidOperationException($"asked for {backend}, but the server would run on {loop.BackendInUse}: {loop.BackendReason}");
        }

        NetpollListener listener = NetpollListener.Create(endPoint);
        _ = loop.ServeAsync(listener);
        return Task.FromResult(((IPEndPoint)listener.LocalEndPoint).Port);
    }

    /// <summary>A mock table as a user would write one: a dozen routes of every kind, the measured one among them.</summary>
    private static HttpRouteTable MockRoutes() => new(
    [
        HttpRoute.Static("GET /", HttpResponse.Text("Hello, World!", contentType: "text/plain")),
        HttpRoute.Static("GET /health", HttpResponse.Json("{\"status\":\"ok\"}")),
        HttpRoute.Static("GET /users/{id}", HttpResponse.Json("{\"name\":\"mock\"}")),
        HttpRoute.Static("DELETE /users/{id}", HttpResponse.WithStatus(204)),
        HttpRoute.Static("POST /orders", new HttpResponse { Status = 201, Headers = [new("Location", "/orders/1")] }),
        HttpRoute.Static("GET /orders/{id}/items/*", HttpResponse.Json("[]")),
        HttpRoute.Static("GET /static/**", new HttpResponse { Body = HttpBody.Filler(1024) }),
        HttpRoute.Static("GET /slow", new HttpResponse { Delay = TimeSpan.FromMilliseconds(100) }),
        HttpRoute.Static("* /any", HttpResponse.Text("any")),
        HttpRoute.Static("GET /unavailable", new HttpResponse { Status = 503, Headers = [new("Retry-After", "1")] }),
        HttpRoute.Dynamic("GET /echo/{word}", r => new ValueTask<HttpResponse>(HttpResponse.Text(r.RouteValues["word"]))),
    ]);

    public ServerCounters Counters()
    {
        EventLoop loop = _loop!;
        BufferPoolStatistics pool = loop.GetBufferStatistics();
        return new ServerCounters(loop.ConnectionCount, pool.RentedBlocks, pool.RentedBytes, pool.RetainedBytes);
    }

    public Task StopAsync() => _loop!.ShutdownAsync(TimeSpan.FromSeconds(2));
}
