using System.Text.RegularExpressions;
using Netpoll.Diagnostics;
using Netpoll.Polling;
using Netpoll.Protocols;
using Netpoll.Tests.Support;
using Netpoll.Tls;

namespace Netpoll.Tests.Tls;

/// <summary>
/// Real TLS clients against the HTTP handler over TLS: curl (with --cacert), openssl s_client (TLS 1.2 and 1.3,
/// ALPN, resumption with -sess_out/-sess_in) and wrk. Each is skipped, saying why, where the tool is missing.
/// </summary>
public sealed class TlsRealClientTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("netpoll-tls-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string RootPem => TestCertificates.WritePem(TestCertificates.Root, Path.Combine(_directory, "root.pem"));

    private static TestServer StartHttps(PollerBackendKind backend) =>
        TlsTestServer.Start(new HttpHandler(), TlsTestServer.Options with { ApplicationProtocols = ["http/1.1"] }, backend: backend);

    [ToolTheory("curl", "curl")]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task Curl_with_cacert_gets_the_page_over_TLS_1_2_and_1_3(PollerBackendKind backend)
    {
        await using TestServer server = StartHttps(backend);
        string url = $"https://localhost:{server.EndPoint.Port}/";
        foreach (string[] version in new[] { new[] { "--tlsv1.3" }, new[] { "--tlsv1.2", "--tls-max", "1.2" } })
        {
            (int exit, string output, string error) = await ExternalTool.RunAsync("curl",
                ["--silent", "--show-error", "--cacert", RootPem, "--resolve", $"localhost:{server.EndPoint.Port}:127.0.0.1", "--max-time", "10", .. version, url]);
            Assert.True(exit == 0, $"curl {string.Join(' ', version)} on {backend} failed ({exit}): {error}");
            Assert.Equal("Hello, World!", output);
        }

        Assert.Equal(2, server.Count(PollerCounter.TlsHandshakes));
    }

    [ToolTheory("curl", "curl")]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task Curl_without_the_root_refuses_the_certificate_and_the_server_counts_it(PollerBackendKind backend)
    {
        await using TestServer server = StartHttps(backend);
        (int exit, _, string error) = await ExternalTool.RunAsync("curl",
            ["--silent", "--show-error", "--max-time", "10", "--resolve", $"localhost:{server.EndPoint.Port}:127.0.0.1", $"https://localhost:{server.EndPoint.Port}/"]);
        Assert.NotEqual(0, exit);
        Assert.Contains("certificate", error, StringComparison.OrdinalIgnoreCase);
        await TestServer.Eventually(() => server.Count(PollerCounter.TlsFailedCertificate) == 1, "the server counted the client's certificate alert");
    }

    [ToolTheory("curl", "curl")]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task Curl_sending_plain_HTTP_to_the_HTTPS_port_reads_nginx_s_400(PollerBackendKind backend)
    {
        await using TestServer server = StartHttps(backend);
        (int exit, string output, string error) = await ExternalTool.RunAsync("curl",
            ["--silent", "--show-error", "--max-time", "10", "--write-out", "\n%{http_code}", $"http://127.0.0.1:{server.EndPoint.Port}/"]);
        Assert.True(exit == 0, $"curl failed ({exit}): {error}");
        Assert.Equal("The plain HTTP request was sent to HTTPS port\n\n400", output);
        await TestServer.Eventually(() => server.Count(PollerCounter.TlsFailedProtocol) == 1, "the server counted a protocol failure");
    }

    [ToolTheory("openssl", "openssl")]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task Openssl_s_client_negotiates_TLS_1_3_and_1_2_with_ALPN_and_gets_the_page(PollerBackendKind backend)
    {
        await using TestServer server = StartHttps(backend);
        foreach ((string flag, string name) in new[] { ("-tls1_3", "TLSv1.3"), ("-tls1_2", "TLSv1.2") })
        {
            string output = await SClient(server, [flag, "-alpn", "h2,http/1.1"]);
            Assert.Contains($"Protocol  : {name}", output, StringComparison.Ordinal);
            Assert.Contains("ALPN protocol: http/1.1", output, StringComparison.Ordinal);
            Assert.Contains("Verify return code: 0 (ok)", output, StringComparison.Ordinal);
            Assert.Contains("Hello, World!", output, StringComparison.Ordinal);
        }
    }

    [ToolTheory("openssl", "openssl")]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task Openssl_s_client_resumes_a_saved_session(PollerBackendKind backend)
    {
        await using TestServer server = StartHttps(backend);
        foreach (string flag in new[] { "-tls1_3", "-tls1_2" })
        {
            string session = Path.Combine(_directory, $"session{flag}.pem");
            string first = await SClient(server, [flag, "-sess_out", session]);
            Assert.Contains("New, TLSv1.", first, StringComparison.Ordinal);
            Assert.True(File.Exists(session), "s_client saved the session");
            string second = await SClient(server, [flag, "-sess_in", session]);
            Assert.Contains("Reused, TLSv1.", second, StringComparison.Ordinal);
            Assert.Contains("Hello, World!", second, StringComparison.Ordinal);
        }

        Assert.Equal(2, server.Count(PollerCounter.TlsHandshakes));
        Assert.Equal(2, server.Count(PollerCounter.TlsResumedHandshakes));
    }

    [ToolTheory("wrk", "wrk")]
    [MemberData(nameof(BackendMatrix.Backends), MemberType = typeof(BackendMatrix))]
    public async Task Wrk_loads_the_HTTPS_server_without_errors(PollerBackendKind backend)
    {
        await using TestServer server = StartHttps(backend);
        (int exit, string output, string error) = await ExternalTool.RunAsync("wrk",
            ["-t1", "-c8", "-d1s", "--timeout", "5s", $"https://127.0.0.1:{server.EndPoint.Port}/"], timeout: TimeSpan.FromSeconds(30));
        Assert.True(exit == 0, $"wrk on {backend} failed ({exit}): {output}{error}");
        Match requests = Regex.Match(output, @"(\d+) requests in");
        Assert.True(requests.Success && long.Parse(requests.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) > 8, $"wrk on {backend} made too few requests: {output}");
        Assert.DoesNotContain("Socket errors", output, StringComparison.Ordinal);
        Assert.DoesNotContain("Non-2xx", output, StringComparison.Ordinal);
        Assert.True(server.Loop.GetStats().Sum(s => s.TlsHandshakeFailures) == 0, string.Join(", ", Enum.GetValues<PollerCounter>().Select(c => $"{c}={server.Count(c)}")));
    }

    /// <summary>openssl s_client against the server, with a request on stdin; returns what it printed.</summary>
    private async Task<string> SClient(TestServer server, string[] extra)
    {
        (int exit, string output, string error) = await ExternalTool.RunAsync("openssl",
            ["s_client", "-connect", $"127.0.0.1:{server.EndPoint.Port}", "-servername", "localhost", "-CAfile", RootPem, "-ign_eof", .. extra],
            input: "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n", timeout: TimeSpan.FromSeconds(20));
        Assert.True(exit == 0, $"openssl s_client {string.Join(' ', extra)} failed ({exit}): {output}{error}");
        return output + error;
    }
}
