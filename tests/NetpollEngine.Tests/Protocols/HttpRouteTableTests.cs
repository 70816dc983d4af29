using Netpoll.Protocols;
using static Netpoll.Tests.Protocols.HttpTestRoutes;

namespace Netpoll.Tests.Protocols;

/// <summary>Route patterns, matching precedence, 404/405, live changes, and bad routes failing where they are made.</summary>
public class HttpRouteTableTests
{
    [Theory]
    [InlineData("GET users", "must start with '/'")]
    [InlineData("GET /a/**/b", "** (the rest of the path) may only be the last segment")]
    [InlineData("GET /{1x}", "needs a name")]
    [InlineData("GET /{}", "needs a name")]
    [InlineData("GET /{a}/{a}", "appears twice")]
    [InlineData("G(T /", "is not a token")]
    [InlineData("GET /a?b=1", "remove the query")]
    [InlineData("GET /a b", "a URI path cannot hold")]
    [InlineData("GET /caf\u00e9", "a URI path cannot hold")]
    [InlineData("GET /a{b}", "a URI path cannot hold")]
    [InlineData("GET /%zz", "a URI path cannot hold")]
    [InlineData("GET /a/../b", "is a dot-segment")]
    [InlineData("GET /a/%2e", "is a dot-segment")]
    [InlineData("GET /a%00", "an encoded NUL")]
    public void A_malformed_pattern_fails_when_the_route_is_made_saying_what_is_allowed(string pattern, string why)
    {
        var error = Assert.Throws<ArgumentException>(() => HttpRoute.Static(pattern, HttpResponse.WithStatus(204)));
        Assert.Contains(why, error.Message, StringComparison.Ordinal);
        Assert.Contains("A route is \"METHOD /path\"", error.Message, StringComparison.Ordinal);
    }

    public static TheoryData<Func<HttpResponse>, string> BadResponses => new()
    {
        { () => new HttpResponse { Status = 99 }, "Status must be 200–599" },
        { () => new HttpResponse { Status = 101 }, "1xx are not final" },
        { () => new HttpResponse { Status = 600 }, "Status must be 200–599" },
        { () => new HttpResponse { Status = 204, Body = HttpBody.FromString("x") }, "has no body" },
        { () => new HttpResponse { Status = 304, Chunked = true }, "has no body" },
        { () => new HttpResponse { Headers = [new("Content-Length", "5")] }, "is set by the server" },
        { () => new HttpResponse { Headers = [new("Transfer-Encoding", "chunked")] }, "is set by the server" },
        { () => new HttpResponse { Headers = [new("Connection", "close")] }, "use Body, Chunked or CloseAfter" },
        { () => new HttpResponse { Headers = [new("Bad Name", "v")] }, "is not an RFC 9110 token" },
        { () => new HttpResponse { Headers = [new("X", "a\r\nInjected: yes")] }, "U+000D" },
        { () => new HttpResponse { Headers = [new("X", "\u20ac")] }, "U+20AC" },
        { () => new HttpResponse { Reason = "OK\n" }, "U+000A" },
        { () => new HttpResponse { ContentType = "text/plain\0" }, "U+0000" },
        { () => new HttpResponse { ChunkSize = 0, Chunked = true }, "ChunkSize must be between 1 and" },
        { () => new HttpResponse { Delay = TimeSpan.FromMilliseconds(-1) }, "Delay and Jitter must be between zero and one day" },
        { () => new HttpResponse { Body = null! }, "Body" },
    };

    [Theory]
    [MemberData(nameof(BadResponses))]
    public void A_response_that_cannot_be_sent_fails_when_the_static_route_is_made(Func<HttpResponse> response, string why)
    {
        var error = Assert.ThrowsAny<ArgumentException>(() => HttpRoute.Static("GET /", response()));
        Assert.Contains(why, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bodies_check_their_sources()
    {
        Assert.Throws<FileNotFoundException>(() => HttpBody.FromFile("/nonexistent/netpoll-body"));
        Assert.Throws<ArgumentOutOfRangeException>(() => HttpBody.Filler(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => HttpBody.Filler(HttpBody.MaxLength + 1));
    }

    [Fact]
    public void Two_routes_answering_the_same_requests_make_a_table_fail_naming_both()
    {
        var error = Assert.Throws<ArgumentException>(() => new HttpRouteTable(
        [
            HttpRoute.Static("GET /users/{id}", HttpResponse.WithStatus(200)),
            HttpRoute.Static("GET /users/{name}", HttpResponse.WithStatus(200)),
        ]));
        Assert.Contains("'GET /users/{id}' and 'GET /users/{name}'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bad_server_options_fail_when_the_handler_is_made()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new HttpHandler(new HttpRouteTable(), new HttpServerOptions { MaxHeaderBytes = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new HttpHandler(new HttpRouteTable(), new HttpServerOptions { MinBodyDataRate = double.NaN }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new HttpHandler(new HttpRouteTable(), new HttpServerOptions { RequestHeadTimeout = TimeSpan.FromSeconds(-1) }));
    }

    [Theory]
    [InlineData("GET", "/users/me", 200, "exact")]
    [InlineData("GET", "/users/42", 200, "param")]
    [InlineData("GET", "/users/42/posts", 200, "rest")]
    [InlineData("GET", "/users", 200, "users")]
    [InlineData("GET", "/users/", 200, "rest")]
    [InlineData("POST", "/users/42", 200, "any-method")]
    [InlineData("HEAD", "/users/me", 200, "exact")]
    [InlineData("HEAD", "/files/a", 200, "explicit-head")]
    [InlineData("GET", "/files/a", 200, "files")]
    [InlineData("DELETE", "/files/a", 405, null)]
    [InlineData("GET", "/nothing", 404, null)]
    [InlineData("GET", "/wild/x/end", 200, "wildcard")]
    [InlineData("GET", "/wild/x/y/end", 404, null)]
    [InlineData("GET", "/wild//end", 404, null)]
    public void The_most_specific_route_answers(string method, string path, int status, string? answer)
    {
        var table = new HttpRouteTable(
        [
            Named("GET /users/**", "rest"),
            Named("GET /users/{id}", "param"),
            Named("GET /users/me", "exact"),
            Named("GET /users", "users"),
            Named("* /users/{id}", "any-method"),
            Named("GET /files/*", "files"),
            Named("HEAD /files/*", "explicit-head"),
            Named("GET /wild/*/end", "wildcard"),
        ]);
        var harness = new HttpSessionHarness(table, SmallLimits).Feed(Ascii($"{method} {path} HTTP/1.1\r\nHost: x\r\n\r\n"));
        HttpResponseReader.Response response = Assert.Single(harness.Responses(_ => method == "HEAD"));
        Assert.Equal(status, response.Status);
        if (answer is not null)
        {
            Assert.Equal(answer, response.Header("X-Route"));
        }
    }

    [Fact]
    public void Routes_list_in_the_order_they_are_tried()
    {
        var table = new HttpRouteTable([Named("* /a/**", ""), Named("GET /a/{x}", ""), Named("* /a/{x}", ""), Named("GET /a/b", ""), Named("GET /a", "")]);
        Assert.Equal(["GET /a", "GET /a/b", "GET /a/{x}", "* /a/{x}", "* /a/**"], table.Routes.Select(r => r.Pattern));
    }

    [Fact]
    public void Routes_change_while_the_table_serves()
    {
        var table = new HttpRouteTable([Named("GET /a", "first")]);
        Assert.Equal("first", Answer(table, "/a"));

        HttpRoute? replaced = table.Set(Named("GET /a", "second"));
        Assert.Equal("GET /a", replaced?.Pattern);
        Assert.Equal("second", Answer(table, "/a"));

        Assert.Null(table.Set(Named("GET /b/{id}", "b")));
        Assert.Equal("b", Answer(table, "/b/1"));
        Assert.Same(table.Find("GET /b/{other}"), table.Routes.Single(r => r.Path == "/b/{id}"));

        Assert.NotNull(table.Remove("GET /b/{x}")); // {param} names aside, the same route
        Assert.Null(table.Remove("GET /b/{x}"));
        Assert.Null(Answer(table, "/b/1"));
    }

    [Fact]
    public async Task Concurrent_changes_never_show_a_half_changed_table()
    {
        var table = new HttpRouteTable([Named("GET /stable", "stable")]);
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        long matches = 0;
        Task writer = Task.Run(() =>
        {
            for (int i = 0; !stop.IsCancellationRequested && i < 200_000; i++)
            {
                table.Set(Named($"GET /churn/{i % 50}", "churn"));
                table.Remove($"GET /churn/{(i + 25) % 50}");
            }
        });
        Task[] readers = [.. Enumerable.Range(0, 2).Select(reader => Task.Run(() =>
        {
            while (!writer.IsCompleted)
            {
                // The stable route is in every version of the table.
                Assert.NotNull(table.Match("GET"u8, "/stable"u8, out _));
                Interlocked.Increment(ref matches);
            }
        }))];
        await Task.WhenAll([writer, .. readers]).WaitAsync(TimeSpan.FromSeconds(20));
        Assert.True(matches > 0);
        Assert.Contains(table.Routes, r => r.Pattern == "GET /stable");
    }

    private static string? Answer(HttpRouteTable table, string path)
    {
        var harness = new HttpSessionHarness(table, SmallLimits).Feed(Ascii($"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n"));
        return Assert.Single(harness.Responses()).Header("X-Route");
    }
}
