using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;

namespace Netpoll.Bench;

/// <summary>
/// Kestrel with a minimal endpoint returning the same bytes as Netpoll's Http handler:
/// <c>GET /</c> → 200 "Hello, World!" as text/plain. Slim builder, no logging, socket backlog as the others.
/// With a certificate: HTTPS through Kestrel's own TLS (SslStream), HTTP/1.1 only, as the Netpoll HTTPS server.
/// </summary>
internal sealed class KestrelServer(IPEndPoint endPoint, X509Certificate2? certificate = null) : IBenchServer
{
    private static readonly byte[] Hello = "Hello, World!"u8.ToArray();
    private WebApplication? _app;

    public async Task<int> StartAsync()
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseSockets(o => o.Backlog = 4096);
        builder.WebHost.UseKestrel(o => o.Listen(endPoint, listen =>
        {
            if (certificate is not null)
            {
                listen.Protocols = HttpProtocols.Http1;
                listen.UseHttps(certificate);
            }
        }));
        WebApplication app = builder.Build();
        app.MapGet("/", () => Results.Text(Hello, "text/plain"));
        await app.StartAsync().ConfigureAwait(false);
        _app = app;
        string address = app.Services.GetServerAddresses().First();
        return new Uri(address).Port;
    }

    /// <summary>Kestrel's connection count is not read here: a counting middleware would cost memory per connection.</summary>
    public ServerCounters Counters() => new(-1, -1, -1, -1);

    public async Task StopAsync()
    {
        if (_app is not null)
        {
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await _app.StopAsync(deadline.Token).ConfigureAwait(false);
            await _app.DisposeAsync().ConfigureAwait(false);
        }
    }
}

internal static class ServerAddresses
{
    public static ICollection<string> GetServerAddresses(this IServiceProvider services)
    {
        var server = (Microsoft.AspNetCore.Hosting.Server.IServer)services.GetService(typeof(Microsoft.AspNetCore.Hosting.Server.IServer))!;
        return server.Features.Get<IServerAddressesFeature>()!.Addresses;
    }
}
