using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Netpoll.Load.Tests.Http;

/// <summary>
/// Kestrel on 127.0.0.1:0: a real third-party HTTP/1.1 server whose responses the load generator must read.
/// Routes: <c>/</c> (Content-Length), <c>/chunked</c> (several flushed chunks), <c>/close</c> (Connection: close),
/// <c>/slow</c> (50 ms), <c>/error</c> (500), <c>/big</c> (1 MiB, larger than any read buffer), <c>/stall</c> (once
/// it has served for <see cref="StallAfter"/>, every request waits until one second after the stall began).
/// </summary>
internal sealed class KestrelTarget : IAsyncDisposable
{
    public const int BigBodyBytes = 1024 * 1024;
    public static readonly TimeSpan StallAfter = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan StallLength = TimeSpan.FromSeconds(1);

    private readonly WebApplication _app;
    private long _firstStallRequest;  // Environment.TickCount64 of the first /stall request, 0 before it
    private long _stallEnds;          // when the one stall ends, 0 before it began

    private KestrelTarget(WebApplication app, Uri origin)
    {
        _app = app;
        Origin = origin;
    }

    /// <summary>http://127.0.0.1:port, or https://localhost:port with a certificate</summary>
    public Uri Origin { get; }

    public Uri Path(string path) => new(Origin, path);

    /// <param name="certificate">Serve HTTPS with it (SslStream on the server side); null: plain HTTP.</param>
    public static async Task<KestrelTarget> StartAsync(X509Certificate2? certificate = null)
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0, listen =>
        {
            if (certificate is not null)
            {
                listen.UseHttps(certificate);
            }
        }));
        builder.Logging.ClearProviders();
        WebApplication app = builder.Build();
        KestrelTarget? target = null;
        byte[] big = new byte[BigBodyBytes];
        Random.Shared.NextBytes(big);
        app.MapGet("/", () => "Hello, World!");
        app.MapGet("/chunked", async (HttpContext context) =>
        {
            for (int i = 0; i < 5; i++)
            {
                await context.Response.WriteAsync($"chunk {i};");
                await context.Response.Body.FlushAsync();
            }
        });
        app.MapGet("/close", (HttpContext context) =>
        {
            context.Response.Headers.Connection = "close";
            return "bye";
        });
        app.MapGet("/slow", async () =>
        {
            await Task.Delay(50);
            return "slow";
        });
        app.MapGet("/error", () => Results.StatusCode(500));
        app.MapGet("/big", () => Results.Bytes(big, "application/octet-stream"));
        app.MapGet("/stall", async () =>
        {
            await target!.StallOnceAsync();
            return "ok";
        });
        await app.StartAsync();
        string address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        // The test certificate names localhost: https goes by that name (to 127.0.0.1, where Kestrel listens).
        Uri origin = certificate is null ? new Uri(address) : new UriBuilder(address) { Host = "localhost" }.Uri;
        target = new KestrelTarget(app, origin);
        return target;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task StallOnceAsync()
    {
        long now = Environment.TickCount64;
        Interlocked.CompareExchange(ref _firstStallRequest, now, 0);
        if (now - Interlocked.Read(ref _firstStallRequest) >= StallAfter.TotalMilliseconds)
        {
            Interlocked.CompareExchange(ref _stallEnds, now + (long)StallLength.TotalMilliseconds, 0);
        }

        long wait = Interlocked.Read(ref _stallEnds) - now;
        if (wait > 0)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(wait));
        }
    }
}
