using System.Text;
using Netpoll.Protocols;
using static Netpoll.Tests.Protocols.HttpTestRoutes;

namespace Netpoll.Tests.Protocols;

/// <summary>
/// Routes match the normalised path, as nginx and Kestrel do (RFC 3986 §6.2.2 and §5.2.4): %-escapes
/// decoded whatever the case of their hex digits, dot-segments resolved, %2F kept as a literal inside
/// its segment; an escaped NUL or a path that climbs above the root is refused. Callbacks still see the
/// request-target as sent.
/// </summary>
public class HttpPathNormalizationTests
{
    [Theory]
    [InlineData("/", "/")]
    [InlineData("/a/b", "/a/b")]
    [InlineData("/%41%62c", "/Abc")]
    [InlineData("/%7euser/%2d%2E%5F", "/~user/-._")]
    [InlineData("/a%20b/%3F%23", "/a b/?#")]
    [InlineData("/caf%c3%a9", "/caf\u00e9")]
    [InlineData("/%E2%82%AC/%F0%9F%98%80", "/\u20ac/\U0001F600")]
    [InlineData("/a%2fb", "/a%2Fb")]
    [InlineData("/a%25", "/a%25")]
    [InlineData("/a%252F", "/a%252F")]
    [InlineData("/%c3", "/%C3")]
    [InlineData("/%C3%28", "/%C3(")]
    [InlineData("/%ff%fe", "/%FF%FE")]
    [InlineData("/a/./b", "/a/b")]
    [InlineData("/a/.", "/a/")]
    [InlineData("/.", "/")]
    [InlineData("/a/b/..", "/a/")]
    [InlineData("/a/b/../c", "/a/c")]
    [InlineData("/a/../", "/")]
    [InlineData("/a/%2e%2E/b", "/b")]
    [InlineData("/a/.%2e/b", "/b")]
    [InlineData("/a//b", "/a//b")]
    [InlineData("//..", "/")]
    [InlineData("/a/..b/.c/...", "/a/..b/.c/...")]
    [InlineData("/a%2F../b", "/a%2F../b")]
    public void A_path_normalises_to_the_decoded_dot_resolved_form(string raw, string normalised)
    {
        byte[] destination = new byte[raw.Length];
        HttpRejection rejection = HttpPathNormalizer.Normalize(Encoding.ASCII.GetBytes(raw), destination, out int length);
        Assert.False(rejection.IsRejected, rejection.Rule);
        Assert.Equal(normalised, Encoding.UTF8.GetString(destination, 0, length));
    }

    [Theory]
    [InlineData("/..", "climbs above the root")]
    [InlineData("/a/../..", "climbs above the root")]
    [InlineData("/%2e%2e/etc/passwd", "climbs above the root")]
    [InlineData("/a/%2E./../b", "climbs above the root")]
    [InlineData("/a%00", "an encoded NUL")]
    [InlineData("/a/%00/..", "an encoded NUL")]
    public void A_path_with_an_encoded_nul_or_climbing_above_the_root_is_refused(string raw, string why)
    {
        HttpRejection rejection = HttpPathNormalizer.Normalize(Encoding.ASCII.GetBytes(raw), new byte[raw.Length], out _);
        Assert.Equal(400, rejection.Status);
        Assert.Contains(why, rejection.Rule, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/files/Abc", "literal")]
    [InlineData("/files/%41bc", "literal")]
    [InlineData("/files/%41%62%63", "literal")]
    [InlineData("/files/./Abc", "literal")]
    [InlineData("/x/../files/Abc", "literal")]
    [InlineData("/files/%2e%2E/files/%2e/Abc", "literal")]
    [InlineData("http://example.com/x/../files/Abc", "literal")]
    [InlineData("/caf%c3%a9", "accented")]
    [InlineData("/caf%C3%A9", "accented")]
    [InlineData("/a%2fb", "escaped-slash")]
    [InlineData("/a/b", "two-segments")]
    public void A_request_is_routed_by_its_normalised_path(string target, string route)
    {
        HttpResponseReader.Response response = Send(target);
        Assert.Equal(200, response.Status);
        Assert.Equal(route, response.Header("X-Route"));
    }

    [Theory]
    [InlineData("/..")]
    [InlineData("/files/../../etc/passwd")]
    [InlineData("/%2e%2e/etc/passwd")]
    [InlineData("/files/a%00b")]
    [InlineData("http://example.com/a/../..")]
    public void A_request_whose_path_cannot_be_normalised_gets_400_and_a_close(string target)
    {
        var harness = new HttpSessionHarness(Routes(), SmallLimits).Feed(Ascii($"GET {target} HTTP/1.1\r\nHost: x\r\n\r\nGET /files/Abc HTTP/1.1\r\nHost: x\r\n\r\n"));
        HttpResponseReader.Response response = Assert.Single(harness.Responses());
        Assert.Equal(400, response.Status);
        Assert.True(response.Closes);
        Assert.True(harness.Closed);
        Assert.Equal(1, harness.Counters.Rejected);
    }

    [Theory]
    [InlineData("/files/x%2Fy?q=%2e", "x/y", "/files/x%2Fy", "/files/x%2Fy?q=%2e")]
    [InlineData("/files/%25", "%", "/files/%25", "/files/%25")]
    [InlineData("/files/%252F", "%2F", "/files/%252F", "/files/%252F")]
    [InlineData("/files/caf%c3%a9", "caf\u00e9", "/files/caf\u00e9", "/files/caf%c3%a9")]
    [InlineData("/files/%ff", "%FF", "/files/%FF", "/files/%ff")]
    [InlineData("/a/../files/%7Bx%7D", "{x}", "/files/{x}", "/a/../files/%7Bx%7D")]
    public void A_callback_sees_the_normalised_path_its_decoded_values_and_the_target_as_sent(string target, string name, string path, string sent)
    {
        HttpResponseReader.Response response = Send(target);
        Assert.Equal(200, response.Status);
        Assert.Equal($"{name}|{path}|{sent}", response.BodyText);
    }

    [Fact]
    public void Patterns_are_normalised_like_paths_so_escapes_differing_in_case_are_one_route()
    {
        var error = Assert.Throws<ArgumentException>(() => new HttpRouteTable([Named("GET /caf%c3%a9", "a"), Named("GET /caf%C3%A9", "b")]));
        Assert.Contains("answer the same requests", error.Message, StringComparison.Ordinal);
        Assert.NotNull(new HttpRouteTable([Named("GET /%41", "a")]).Find("GET /A"));
    }

    private static HttpResponseReader.Response Send(string target)
    {
        var harness = new HttpSessionHarness(Routes(), SmallLimits).Feed(Ascii($"GET {target} HTTP/1.1\r\nHost: example.com\r\n\r\n"));
        return Assert.Single(harness.Responses());
    }

    private static HttpRouteTable Routes() => new(
    [
        Named("GET /files/Abc", "literal"),
        Named("GET /caf%C3%A9", "accented"),
        Named("GET /a%2Fb", "escaped-slash"),
        Named("GET /a/b", "two-segments"),
        HttpRoute.Dynamic("GET /files/{name}", r => new ValueTask<HttpResponse>(HttpResponse.Text($"{r.RouteValues["name"]}|{r.Path}|{r.Target}")), runsInline: true),
    ]);
}
