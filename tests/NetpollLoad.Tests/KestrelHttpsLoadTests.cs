using System.Net;
using Netpoll.Load.Tests.Http;
using Netpoll.Tests.Tls;
using Netpoll.Tls;

namespace Netpoll.Load.Tests;

/// <summary>The load generator against a peer it did not grow up with: Kestrel HTTPS (SslStream on the server side).</summary>
public sealed class KestrelHttpsLoadTests : IAsyncLifetime
{
    private KestrelTarget? _kestrel;

    public async Task InitializeAsync() => _kestrel = await KestrelTarget.StartAsync(TestCertificates.Localhost);

    public async Task DisposeAsync()
    {
        if (_kestrel is not null)
        {
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
            Target = new IPEndPoint(IPAddress.Loopback, _kestrel!.Origin.Port), Connections = 2, Requests = 20, Duration = TimeSpan.FromSeconds(30), Pattern = pattern,
            HttpRequests = [new LoadHttpRequest { Uri = _kestrel.Path("/chunked") }],
            Tls = new TlsClientOptions { TrustedRoots = TestCertificates.RootOnly }, // the TLS name, localhost, comes from the URI
        });

        Assert.Equal("Requests", result.StopReason);
        Assert.Equal(20, result.Requests);
        Assert.Equal(0, result.Errors);
        Assert.Equal(20, result.StatusCodes[200]);
        Assert.Equal(pattern == LoadPattern.Handshake ? 20 : result.ConnectionsOpened, result.TlsHandshakes);
    }
}
