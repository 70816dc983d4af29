using Netpoll.Protocols;
using static Netpoll.Tests.Protocols.HttpTestRoutes;

namespace Netpoll.Tests.Protocols;

/// <summary>
/// Each rule of RFC 9110/9112 the server enforces, once with a request that breaks only that rule.
/// Every case is fed whole and one byte at a time: the answer must not depend on how the bytes arrive.
/// </summary>
public class HttpRequestValidationTests
{
    private const string Ok = "GET / HTTP/1.1\r\nHost: x\r\n";

    public static TheoryData<string, int, string> Refused => new()
    {
        // Field values: no CTL except HTAB (RFC 9110 §5.5); lines end with CRLF only (RFC 9112 §2.2).
        { Ok + "X: a\0b\r\n\r\n", 400, "NUL in a field value" },
        { Ok + "X: a\u0001b\r\n\r\n", 400, "SOH in a field value" },
        { Ok + "X: a\u007Fb\r\n\r\n", 400, "DEL in a field value" },
        { Ok + "X: a\rb\r\n\r\n", 400, "bare CR in a field value" },
        { Ok + "X: a\nb\r\n\r\n", 400, "bare LF in a field value" },
        { "GET / HTTP/1.1\nHost: x\n\n", 400, "LF-only line ends" },
        { "GET / HTTP/1.1\r\nHost: x\r\n\r\r\n", 400, "CR CR LF" },
        // Field names: a token directly followed by ':'; obs-fold is rejected (RFC 9112 §5.1, §5.2).
        { "GET / HTTP/1.1\r\nHost : x\r\n\r\n", 400, "whitespace before the colon" },
        { Ok + "X: a\r\n b\r\n\r\n", 400, "obs-fold with a space" },
        { Ok + "X: a\r\n\tb\r\n\r\n", 400, "obs-fold with a tab" },
        { Ok + ": a\r\n\r\n", 400, "empty field name" },
        { Ok + "X(y): a\r\n\r\n", 400, "non-token field name" },
        { Ok + "X-\u00e9: a\r\n\r\n", 400, "non-ASCII field name" },
        { Ok + "no colon here\r\n\r\n", 400, "a field line without a colon" },
        // Host: exactly one in HTTP/1.1 (RFC 9112 §3.2), and a valid one.
        { "GET / HTTP/1.1\r\n\r\n", 400, "HTTP/1.1 without Host" },
        { Ok + "Host: y\r\n\r\n", 400, "two Host fields" },
        { "GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n", 400, "two Host fields in 1.0" },
        { "GET / HTTP/1.1\r\nHost: a b\r\n\r\n", 400, "space in Host" },
        { "GET / HTTP/1.1\r\nHost: user@a\r\n\r\n", 400, "userinfo in Host" },
        { "GET / HTTP/1.1\r\nHost: a:8x\r\n\r\n", 400, "a port that is not digits" },
        // Content-Length: digits, consistent (RFC 9110 §8.6, RFC 9112 §6.3).
        { Ok + "Content-Length: 12x\r\n\r\n", 400, "Content-Length with a letter" },
        { Ok + "Content-Length: -1\r\n\r\n", 400, "negative Content-Length" },
        { Ok + "Content-Length: +1\r\n\r\n", 400, "signed Content-Length" },
        { Ok + "Content-Length:\r\n\r\n", 400, "empty Content-Length" },
        { Ok + "Content-Length: 1 2\r\n\r\n", 400, "Content-Length with a space" },
        { Ok + "Content-Length: 1\r\nContent-Length: 2\r\n\r\n", 400, "two different Content-Length fields" },
        { Ok + "Content-Length: 1, 2\r\n\r\n", 400, "a Content-Length list with two values" },
        { Ok + "Content-Length: 99999999999999999999\r\n\r\n", 400, "Content-Length beyond long.MaxValue (20 digits)" },
        { Ok + "Content-Length: 9223372036854775808\r\n\r\n", 400, "Content-Length one over long.MaxValue" },
        { Ok + "Content-Length: 000000000000000000009223372036854775808\r\n\r\n", 400, "Content-Length over long.MaxValue behind leading zeros" },
        { Ok + "Content-Length: 5\r\nContent-Length: 0006\r\n\r\n", 400, "Content-Length fields that differ once their zeros are dropped" },
        // Transfer-Encoding (RFC 9112 §6.1, §6.3): smuggling vectors.
        { Ok + "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n", 400, "Transfer-Encoding with Content-Length" },
        { "POST /echo HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400, "Transfer-Encoding in HTTP/1.0" },
        { Ok + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", 400, "chunked twice" },
        { Ok + "Transfer-Encoding: chunked;q=1\r\n\r\n0\r\n\r\n", 400, "chunked with a parameter (a front end may not read it as chunked)" },
        { Ok + "Transfer-Encoding: gzip, chunked ; x=1\r\n\r\n0\r\n\r\n", 400, "chunked with a parameter after another coding" },
        { Ok + "Transfer-Encoding: ,\r\n\r\n", 400, "a Transfer-Encoding without a coding" },
        { Ok + "Transfer-Encoding: gzip, chunked\r\n\r\n", 501, "an unknown transfer-coding" },
        { Ok + "Transfer-Encoding: chunked, gzip\r\n\r\n", 501, "chunked not last (an unknown coding after it)" },
        { Ok + "Transfer-Encoding: identity\r\n\r\n", 501, "identity is not a transfer-coding any more" },
        // The request line (RFC 9112 §3).
        { "G(T / HTTP/1.1\r\nHost: x\r\n\r\n", 400, "non-token method" },
        { "GET\t/ HTTP/1.1\r\nHost: x\r\n\r\n", 400, "tab after the method" },
        { "GET  / HTTP/1.1\r\nHost: x\r\n\r\n", 400, "two spaces after the method" },
        { " GET / HTTP/1.1\r\nHost: x\r\n\r\n", 400, "a space before the method" },
        { "GET / HTTP/1.1 \r\nHost: x\r\n\r\n", 400, "a space after the version" },
        { "GET /\r\nHost: x\r\n\r\n", 400, "no version" },
        { "GET / HTTP/1\r\nHost: x\r\n\r\n", 400, "HTTP/1" },
        { "GET / http/1.1\r\nHost: x\r\n\r\n", 400, "lowercase HTTP" },
        { "GET / HTTP/1.10\r\nHost: x\r\n\r\n", 400, "two minor digits" },
        { "GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505, "HTTP/2.0" },
        { "GET / HTTP/0.9\r\nHost: x\r\n\r\n", 505, "HTTP/0.9" },
        // request-target forms and characters (RFC 9112 §3.2, RFC 3986).
        { "GET /a b HTTP/1.1\r\nHost: x\r\n\r\n", 400, "a space in the target" },
        { "GET /a#b HTTP/1.1\r\nHost: x\r\n\r\n", 400, "a fragment" },
        { "GET /a?b#c HTTP/1.1\r\nHost: x\r\n\r\n", 400, "a fragment after a query" },
        { "GET /a%zz HTTP/1.1\r\nHost: x\r\n\r\n", 400, "a %-escape that is not hex" },
        { "GET /a%1 HTTP/1.1\r\nHost: x\r\n\r\n", 400, "a cut %-escape" },
        { "GET /<script> HTTP/1.1\r\nHost: x\r\n\r\n", 400, "angle brackets" },
        { "GET /a\"b HTTP/1.1\r\nHost: x\r\n\r\n", 400, "a quote" },
        { "GET /\u00e9 HTTP/1.1\r\nHost: x\r\n\r\n", 400, "a raw non-ASCII byte" },
        { "GET /a\0 HTTP/1.1\r\nHost: x\r\n\r\n", 400, "NUL in the target" },
        { "GET a/b HTTP/1.1\r\nHost: x\r\n\r\n", 400, "a relative target" },
        { "GET * HTTP/1.1\r\nHost: x\r\n\r\n", 400, "asterisk-form with GET" },
        { "GET example.com:80 HTTP/1.1\r\nHost: x\r\n\r\n", 400, "authority-form with GET" },
        { "CONNECT /path HTTP/1.1\r\nHost: x\r\n\r\n", 400, "CONNECT with an origin-form target" },
        { "CONNECT example.com HTTP/1.1\r\nHost: x\r\n\r\n", 400, "CONNECT without a port" },
        { "GET http://user@example.com/ HTTP/1.1\r\nHost: x\r\n\r\n", 400, "userinfo in an absolute-form target" },
        { "GET ftp://example.com/ HTTP/1.1\r\nHost: x\r\n\r\n", 400, "a scheme that is not http(s)" },
        { "GET http:///a HTTP/1.1\r\nHost: x\r\n\r\n", 400, "absolute-form with no host" },
        { "GET  HTTP/1.1\r\nHost: x\r\n\r\n", 400, "an empty target" },
        // What the server does not do, and limits.
        { "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n", 501, "CONNECT (no tunnels)" },
        { Ok + "Expect: 200-ok\r\n\r\n", 417, "an unknown expectation" },
        { Ok + "Content-Length: 4097\r\n\r\n", 413, "Content-Length over MaxBodyBytes" },
        { Ok + "Content-Length: 9223372036854775807\r\n\r\n", 413, "Content-Length of long.MaxValue: a number, too large a body" },
        { "GET /" + new string('a', 600) + " HTTP/1.1\r\nHost: x\r\n\r\n", 414, "a request line over MaxRequestLineBytes" },
        { Ok + string.Concat(Enumerable.Range(0, 21).Select(i => $"X-{i}: v\r\n")) + "\r\n", 431, "more fields than MaxHeaderCount" },
        { Ok + "X: " + new string('v', 2100) + "\r\n\r\n", 431, "a head over MaxHeaderBytes" },
    };

    public static TheoryData<string, int, string> Accepted => new()
    {
        { "\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n", 200, "an empty line before the request line (RFC 9112 §2.2)" },
        { "GET / HTTP/1.0\r\n\r\n", 200, "HTTP/1.0 needs no Host" },
        { "GET / HTTP/1.2\r\nHost: x\r\n\r\n", 200, "a later 1.x minor version is served as 1.1" },
        { "GET http://example.com/ HTTP/1.1\r\nHost: example.com\r\n\r\n", 200, "absolute-form" },
        { "GET HTTP://EXAMPLE.COM:8080 HTTP/1.1\r\nHost: example.com\r\n\r\n", 200, "absolute-form, empty path, case-insensitive scheme" },
        { "OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n", 200, "asterisk-form with OPTIONS" },
        { Ok + "X: caf\u00e9\r\n\r\n", 200, "obs-text in a value" },
        { Ok + "X: a\tb\r\n\r\n", 200, "HTAB inside a value" },
        { Ok + "X:\r\n\r\n", 200, "an empty value" },
        { Ok + "X:   padded \t\r\n\r\n", 200, "OWS around a value" },
        { "GET / HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n", 200, "an IPv6 Host" },
        { "GET / HTTP/1.1\r\nHost:\r\n\r\n", 200, "an empty Host" },
        { "GET /?a=1&b=%20/?:@ HTTP/1.1\r\nHost: x\r\n\r\n", 200, "query characters" },
        { "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3, 3\r\n\r\nabc", 200, "a Content-Length list of equal values" },
        { "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\ncontent-length: 003\r\n\r\nabc", 200, "equal Content-Length fields" },
        { "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 0000000000000000000005\r\n\r\nhello", 200, "Content-Length 1*DIGIT: 19 and more leading zeros are still 5 (RFC 9110 §8.6)" },
        { "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 00000000000000000000000000000\r\n\r\n", 200, "Content-Length of many zeros is 0" },
        { "get / HTTP/1.1\r\nHost: x\r\n\r\n", 405, "methods are case-sensitive: 'get' is a valid method no route takes" },
        { "BREW /pot HTTP/1.1\r\nHost: x\r\n\r\n", 404, "any token is a method" },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public void A_request_breaking_one_rule_gets_its_status_and_a_close(string request, int status, string rule)
    {
        foreach (bool byteByByte in new[] { false, true })
        {
            HttpSessionHarness harness = Run(request, byteByByte);
            List<HttpResponseReader.Response> responses = harness.Responses();
            Assert.True(responses.Count == 1, $"{rule}: expected one response, got {responses.Count}");
            Assert.True(status == responses[0].Status, $"{rule}: expected {status}, got {responses[0].Status}");
            Assert.True(responses[0].Closes, $"{rule}: the refusal says Connection: close");
            Assert.True(harness.Closed, $"{rule}: the session closes");
            Assert.Equal(1, harness.Counters.Rejected);
        }
    }

    [Theory]
    [MemberData(nameof(Accepted))]
    public void A_request_within_the_rules_is_answered_by_its_route(string request, int status, string rule)
    {
        foreach (bool byteByByte in new[] { false, true })
        {
            HttpSessionHarness harness = Run(request, byteByByte);
            List<HttpResponseReader.Response> responses = harness.Responses();
            Assert.True(responses.Count == 1, $"{rule}: expected one response, got {responses.Count}");
            Assert.True(status == responses[0].Status, $"{rule}: expected {status}, got {responses[0].Status}");
            Assert.Equal(0, harness.Counters.Rejected);
        }
    }

    [Theory]
    [InlineData("GET / HTTP/1.1\nHost: x\n\n", "Bad Request: a LF not preceded by CR in the request head")]
    [InlineData("GET / HTTP/1.1\r\n\r\n", "Bad Request: an HTTP/1.1 request needs exactly one Host")]
    [InlineData("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", "Not Implemented: a transfer-coding other than chunked")]
    public void A_refusal_says_which_rule_the_request_broke(string request, string body)
    {
        // A tester's hand-made request (printf | nc) learns what to fix, not only that something was wrong.
        HttpResponseReader.Response response = Assert.Single(Run(request, byteByByte: false).Responses());
        Assert.Equal(body, response.BodyText);
        Assert.Equal("text/plain", response.Header("Content-Type"));
    }

    [Fact]
    public void A_bad_line_end_is_refused_at_once_without_waiting_for_the_end_of_the_head()
    {
        var harness = new HttpSessionHarness(Create(), SmallLimits);
        harness.Arrive(Ascii("GET / HTTP/1.1\n")); // the head is far from complete
        Assert.True(harness.Closed);
        Assert.Equal(400, Assert.Single(harness.Responses()).Status);
    }

    [Fact]
    public void An_over_long_request_line_is_refused_before_it_ends()
    {
        var harness = new HttpSessionHarness(Create(), SmallLimits);
        harness.Arrive(Ascii("GET /" + new string('a', 600)));
        Assert.True(harness.Closed);
        Assert.Equal(414, Assert.Single(harness.Responses()).Status);
    }

    [Fact]
    public void Options_asterisk_lists_the_methods_of_the_table()
    {
        HttpSessionHarness harness = Run("OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n", byteByByte: false);
        Assert.Equal("GET, HEAD, OPTIONS, POST", Assert.Single(harness.Responses()).Header("Allow"));
    }

    [Fact]
    public void Method_not_allowed_names_the_methods_the_path_takes()
    {
        HttpSessionHarness harness = Run("DELETE / HTTP/1.1\r\nHost: x\r\n\r\n", byteByByte: false);
        HttpResponseReader.Response response = Assert.Single(harness.Responses());
        Assert.Equal(405, response.Status);
        Assert.Equal("GET, HEAD", response.Header("Allow"));
        Assert.False(harness.Closed); // 405 is an answer, not a refusal: the connection stays
    }

    [Fact]
    public void Expect_100_continue_gets_an_interim_response_before_the_body_is_sent()
    {
        var harness = new HttpSessionHarness(Create(), SmallLimits);
        harness.Arrive(Ascii("POST /echo HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n"));
        Assert.Equal([100], harness.Responses().Select(r => r.Status));
        harness.Arrive(Ascii("hello"));
        Assert.Equal([100, 200], harness.Responses().Select(r => r.Status));
        Assert.Equal("hello", harness.Responses()[1].BodyText);
    }

    [Theory]
    [InlineData("POST /nowhere", 404)]
    [InlineData("PUT /", 405)]
    [InlineData("POST /down", 503)]
    public void Expect_100_continue_on_an_answer_known_to_be_an_error_gets_it_at_once_and_the_body_if_sent_is_dropped(string request, int status)
    {
        HttpRouteTable routes = Create();
        routes.Set(HttpRoute.Static("POST /down", HttpResponse.WithStatus(503)));
        const string Head = " HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n";
        byte[] whole = Ascii(request + Head + "helloGET / HTTP/1.1\r\nHost: x\r\n\r\n");
        int headEnd = (request + Head).Length;
        foreach (int[] cuts in new[] { [], [headEnd], [headEnd, headEnd + 2], Enumerable.Range(1, whole.Length - 1).ToArray() })
        {
            var harness = new HttpSessionHarness(routes, SmallLimits);
            harness.Feed(whole[..headEnd], cuts.Where(c => c < headEnd));
            // The head alone: the final answer, not 100 (RFC 9110 §10.1.1: nothing to continue for), and the connection kept.
            Assert.Equal([status], harness.Responses().Select(r => r.Status));
            Assert.False(harness.Responses()[0].Closes);
            // A client that sends the body anyway: it is read and dropped, and the next request is answered.
            harness.Feed(whole[headEnd..], cuts.Where(c => c > headEnd).Select(c => c - headEnd));
            Assert.Equal([status, 200], harness.Responses().Select(r => r.Status));
            Assert.Equal("Hello, World!", harness.Responses()[1].BodyText);
            Assert.False(harness.Closed);
            Assert.Equal(0, harness.UnconsumedBytes);
        }
    }

    [Fact]
    public void Expect_100_continue_with_connection_close_on_an_error_answers_at_once_and_lingers_for_the_body()
    {
        var harness = new HttpSessionHarness(Create(), SmallLimits);
        harness.Arrive(Ascii("POST /nowhere HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nConnection: close\r\nContent-Length: 5\r\n\r\n"));
        HttpResponseReader.Response response = Assert.Single(harness.Responses());
        Assert.Equal(404, response.Status);
        Assert.True(response.Closes);
        Assert.True(harness.Closed); // lingering: what the client still sends is dropped, not answered with a reset
    }

    [Fact]
    public void Expect_100_continue_on_an_error_answer_whose_body_never_comes_closes_at_the_body_deadline_without_a_second_answer()
    {
        var harness = new HttpSessionHarness(Create(), SmallLimits);
        harness.Arrive(Ascii("POST /nowhere HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n"));
        Assert.Equal([404], harness.Responses().Select(r => r.Status));
        long due = harness.Session.Deadline;
        Assert.NotEqual(0, due);
        var output = new System.Buffers.ArrayBufferWriter<byte>();
        Assert.Equal(HttpStep.Close, harness.Session.OnDeadline(new HttpSessionHarness.TestOutput(output), due));
        Assert.Equal(0, output.WrittenCount); // no 408: the request has had its answer
    }

    [Fact]
    public void An_idle_keep_alive_connection_closes_silently_at_the_keep_alive_timeout_unless_its_answer_is_still_being_read()
    {
        var options = SmallLimits with { KeepAliveTimeout = TimeSpan.FromSeconds(7), RequestHeadTimeout = TimeSpan.FromSeconds(3) };
        var harness = new HttpSessionHarness(Create(), options);
        harness.Arrive(Ascii("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
        Assert.Equal([200], harness.Responses().Select(r => r.Status));
        Assert.Equal(7_000, harness.Session.Deadline); // idle from the answer (the harness's clock stands at 0)

        var output = new System.Buffers.ArrayBufferWriter<byte>();
        var into = new HttpSessionHarness.TestOutput(output);
        // The client is still taking in the answer: not idle, so the wait starts again.
        Assert.Equal(HttpStep.NeedMore, harness.Session.OnDeadline(into, 7_000, answerUnread: true));
        Assert.Equal(14_000, harness.Session.Deadline);
        // It has it all and asked nothing more: closed without a word, and no head timeout counted (nothing was late).
        Assert.Equal(HttpStep.Close, harness.Session.OnDeadline(into, 14_000, answerUnread: false));
        Assert.Equal(0, output.WrittenCount);
        Assert.Equal(0, harness.Counters.HeadTimeouts);

        // A next request begun within the keep-alive time has RequestHeadTimeout from then to finish its head.
        var next = new HttpSessionHarness(Create(), options);
        next.Arrive(Ascii("GET / HTTP/1.1\r\nHost: x\r\n\r\nGET / HT"));
        Assert.Equal(3_000, next.Session.Deadline);

        var off = new HttpSessionHarness(Create(), options with { KeepAliveTimeout = TimeSpan.Zero });
        off.Arrive(Ascii("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
        Assert.Equal(0, off.Session.Deadline);
    }

    [Fact]
    public void Http10_keep_alive_is_kept_and_said_and_http10_without_it_closes()
    {
        HttpSessionHarness kept = Run("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", byteByByte: false);
        Assert.Equal("keep-alive", Assert.Single(kept.Responses()).Header("Connection"));
        Assert.False(kept.Closed);

        HttpSessionHarness closed = Run("GET / HTTP/1.0\r\n\r\n", byteByByte: false);
        Assert.True(Assert.Single(closed.Responses()).Closes);
        Assert.True(closed.Closed);
    }

    [Fact]
    public void Connection_close_is_honoured_and_nothing_after_it_is_read()
    {
        HttpSessionHarness harness = Run("GET / HTTP/1.1\r\nHost: x\r\nConnection: keep-alive, close\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n", byteByByte: false);
        Assert.True(Assert.Single(harness.Responses()).Closes);
        Assert.True(harness.Closed);
    }

    private static HttpSessionHarness Run(string request, bool byteByByte)
    {
        var harness = new HttpSessionHarness(Create(), SmallLimits);
        byte[] bytes = Ascii(request);
        return byteByByte ? harness.FeedByteByByte(bytes) : harness.Feed(bytes);
    }
}
