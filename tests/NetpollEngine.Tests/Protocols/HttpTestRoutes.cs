using System.Globalization;
using System.Text;
using Netpoll.Protocols;

namespace Netpoll.Tests.Protocols;

/// <summary>Routes and limits the request-parsing tests share: small limits, so limit cases stay small.</summary>
internal static class HttpTestRoutes
{
    public static readonly HttpServerOptions SmallLimits = new()
    {
        MaxRequestLineBytes = 512,
        MaxHeaderBytes = 2048,
        MaxHeaderCount = 20,
        MaxBodyBytes = 4096,
    };

    /// <summary>
    /// <c>GET /</c> → "Hello, World!"; <c>POST /echo</c> → the request body, with X-Trailers naming the trailer fields;
    /// <c>* /any/{id}</c> → the id. Everything else is 404 (or 405 where the path has routes).
    /// </summary>
    public static HttpRouteTable Create() => new(
    [
        HttpRoute.Static("GET /", HttpResponse.Text("Hello, World!")),
        HttpRoute.Dynamic("POST /echo", Echo, runsInline: true),
        HttpRoute.Dynamic("* /any/{id}", r => new ValueTask<HttpResponse>(HttpResponse.Text(r.RouteValues["id"])), runsInline: true),
    ]);

    public static byte[] Ascii(string text) => Encoding.Latin1.GetBytes(text);

    /// <summary>A static route that says which it is in an X-Route header.</summary>
    public static HttpRoute Named(string pattern, string name) =>
        HttpRoute.Static(pattern, new HttpResponse { Headers = [new("X-Route", name)] });

    private static ValueTask<HttpResponse> Echo(HttpRequest request) => new(new HttpResponse
    {
        Body = HttpBody.FromBytes(request.Body.ToArray()),
        Headers =
        [
            new("X-Trailers", string.Join(",", request.Trailers.Select(t => t.Key))),
            new("X-Body-Length", request.Body.Length.ToString(CultureInfo.InvariantCulture)),
        ],
    });
}
