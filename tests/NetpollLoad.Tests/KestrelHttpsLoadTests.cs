using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Netpoll.Load;
using Netpoll.Tests.Tls;
using Netpoll.Tls;

namespace Netpoll.Load.Tests;

/// <summary>The load generator against a peer it did not grow up with: Kestrel HTTPS (SslStream on the server side).</summary>
public sealed class KestrelHttpsLoadTests : IAsyncLifetime
{
    private WebApplication? _kestrel;
    private IPEndPoint _endPoint = new(IPAddress.Loopback, 0);

    public async Task InitializeAsync()
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0, listen => listen.UseHttps(TestCertificates.Localhost)));
        _kestrel = builder.Build();
        _kestrel.MapGet("/", () => Results.Text("Hello, World!", "text/plain"));
        await _kestrel.StartAsync();
        string address = _kestrel.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        _endPoint = new IPEndPoint(IPAddress.Loopback, new Uri(address).Port);
    }

    public async Task DisposeAsync()
    {
        if (_kestrel is not null)
        {
            await _kestrel.StopAsync();
            await _kestrel.DisposeAsync();
        }
    }

    [Theory]
    [InlineData(LoadPattern.Http)]
    [InlineData(LoadPattern.Handshake)]
    public async Task Loads_kestrel_https_with_its_certificate_checked(LoadPattern pattern)
    {
        LoadResult result = await LoadGenerator.RunAsync(new LoadOptions
        {
            Target = _endPoint, Connections = 2, Requests = 20, Duration = TimeSpan.FromSeconds(30), Pattern = pattern,
            Tls = new TlsClientOptions { TargetHost = "localhost", TrustedRoots = TestCertificates.RootOnly },
        });

        Assert.Equal("Requests", result.StopReason);
        Assert.Equal(20, result.Requests);
        Assert.Equal(0, result.Errors);
        Assert.Equal(pattern == LoadPattern.Handshake ? 20 : result.ConnectionsOpened, result.TlsHandshakes);
    }
}
