using System.Buffers;
using System.Text;
using Netpoll.Tests.Support;

namespace Netpoll.Load.Tests.Http;

/// <summary>The response parser on its own: every framing RFC 9112 allows, split anywhere, and every way bytes break it.</summary>
public class HttpResponseParserTests
{
    [Theory]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", 200, false)]
    [InlineData("HTTP/1.1 500 Internal Server Error\r\ncontent-length: 0\r\n\r\n", 500, false)]
    [InlineData("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", 200, false)]
    [InlineData("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-Sum\r\n\r\n5\r\nhello\r\n0\r\nX-Sum: 1\r\nX-Other: 2\r\n\r\n", 200, false)]
    [InlineData("HTTP/1.1 204 No Content\r\n\r\n", 204, false)]
    [InlineData("HTTP/1.1 304 Not Modified\r\nContent-Length: 100\r\n\r\n", 304, false)]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok", 200, true)]
    [InlineData("HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok", 200, true)]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 0000000000000000000005\r\n\r\nhello", 200, false)]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 005\r\n\r\nhello", 200, false)]
    // Read as curl, Go and http_parser read them: a bare LF ends a line (RFC 9112 §2.2, a recipient MAY), an obs-fold
    // continues its field (§5.2, a user agent MUST replace it with SP), a whitespace-led line before the first field is skipped.
    [InlineData("HTTP/1.1 200 OK\nContent-Length: 2\n\nok", 200, false)]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 2\n\r\nok", 200, false)]
    [InlineData("HTTP/1.1 200 OK\nContent-Length: 2\r\n\nok", 200, false)]
    [InlineData("HTTP/1.0 200 OK\nConnection: keep-alive\nContent-Length: 2\n\nok", 200, false)]
    [InlineData("HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n\n2\nok\n0\nX-Sum: 1\n\n", 200, false)]
    [InlineData("HTTP/1.1 200 OK\r\nX-A: a\r\n  b\r\n\tc\r\nContent-Length: 2\r\n\r\nok", 200, false)]
    [InlineData("HTTP/1.1 200 OK\r\nConnection: keep-alive,\r\n close\r\nContent-Length: 2\r\n\r\nok", 200, true)]
    [InlineData("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip,\r\n chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n", 200, false)]
    [InlineData("HTTP/1.1 200 OK\r\n  stray\r\nContent-Length: 2\r\n\r\nok", 200, false)]
    [InlineData("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\nX-Sum: 1\r\n 2\r\n\r\n", 200, false)]
    public void A_complete_response_is_read_whole_whether_it_arrives_at_once_or_byte_by_byte(string response, int status, bool closeAfter)
    {
        foreach (int split in new[] { int.MaxValue, 1, 7 })
        {
            (ReplyStatus result, int code, bool close, long consumed) = Parse(response, split);
            Assert.Equal(ReplyStatus.Complete, result);
            Assert.Equal(status, code);
            Assert.Equal(closeAfter, close);
            Assert.Equal(response.Length, consumed);
        }

        // Two reads, split at every byte: a CR at one read's end and its LF at the next's, a fold's LF and its SP apart.
        for (int at = 1; at < response.Length; at++)
        {
            (ReplyStatus result, int code, bool close, long consumed) = ParseInTwo(response, at, out string? error);
            Assert.True(result == ReplyStatus.Complete, $"split at {at}: {result} ({error})");
            Assert.Equal(status, code);
            Assert.Equal(closeAfter, close);
            Assert.Equal(response.Length, consumed);
        }
    }

    [Fact]
    public void Interim_responses_are_skipped_and_the_final_one_completes()
    {
        string response = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok";
        var parser = new HttpResponseParser();
        byte[]? scratch = null;
        ReadOnlySequence<byte> input = new(Encoding.ASCII.GetBytes(response));
        var statuses = new List<(ReplyStatus, int)>();
        while (input.Length > 0)
        {
            ReplyStatus status = parser.Feed(input, headRequest: false, ref scratch, out long consumed);
            statuses.Add((status, parser.StatusCode));
            input = input.Slice(consumed);
        }

        Assert.Equal([(ReplyStatus.Interim, 100), (ReplyStatus.Interim, 103), (ReplyStatus.Complete, 201)], statuses);
    }

    [Fact]
    public void A_head_response_has_no_body_whatever_its_content_length()
    {
        const string response = "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n";
        var parser = new HttpResponseParser();
        byte[]? scratch = null;
        Assert.Equal(ReplyStatus.Complete, parser.Feed(new ReadOnlySequence<byte>(Encoding.ASCII.GetBytes(response)), headRequest: true, ref scratch, out long consumed));
        Assert.Equal(response.Length, consumed);
    }

    [Fact]
    public void A_body_without_length_runs_until_the_close_which_completes_it()
    {
        var parser = new HttpResponseParser();
        byte[]? scratch = null;
        Assert.Equal(ReplyStatus.NeedMore, parser.Feed(new ReadOnlySequence<byte>("HTTP/1.1 200 OK\r\n\r\nsome body"u8.ToArray()), false, ref scratch, out _));
        Assert.True(parser.ReadingUntilClose);
        Assert.True(parser.CompleteAtClose());
    }

    [Fact]
    public void A_transfer_coding_that_does_not_end_in_chunked_runs_until_the_close_as_rfc_9112_says()
    {
        var parser = new HttpResponseParser();
        byte[]? scratch = null;
        Assert.Equal(ReplyStatus.NeedMore, parser.Feed(new ReadOnlySequence<byte>("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nxyz"u8.ToArray()), false, ref scratch, out _));
        Assert.True(parser.ReadingUntilClose);
    }

    [Fact]
    public void A_response_cut_short_by_the_close_does_not_complete()
    {
        var parser = new HttpResponseParser();
        byte[]? scratch = null;
        Assert.Equal(ReplyStatus.NeedMore, parser.Feed(new ReadOnlySequence<byte>("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"u8.ToArray()), false, ref scratch, out _));
        Assert.True(parser.MidResponse);
        Assert.False(parser.CompleteAtClose());
    }

    [Theory]
    [InlineData("garbage\r\n\r\n")]
    [InlineData("HTTP/1.1 abc OK\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 9223372036854775808\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 00099999999999999999999\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabXX")]
    [InlineData("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffffff\r\n")]
    [InlineData("HTTP/1.1 101 Switching Protocols\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nBad Header\r\n\r\n")]
    [InlineData("HTTP/1.1 200 O\nK\r\nContent-Length: 0\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nX-A: a\nb\r\nContent-Length: 0\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nX-A: a\rb\r\nContent-Length: 0\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nX-A: a\0b\r\nContent-Length: 0\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 0\r\nX-A: a\r\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX-Sum: 1\n2\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n 3\r\n\r\nok")]
    [InlineData("HTTP/1.1 200 OK\nX-A: a\rb\n\n")]
    [InlineData("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\rX")]
    public void Bytes_that_break_the_protocol_are_an_error_that_says_how(string response)
    {
        (ReplyStatus result, _, _, _) = Parse(response, int.MaxValue, out string? error);
        Assert.Equal(ReplyStatus.Error, result);
        Assert.False(string.IsNullOrWhiteSpace(error));

        // However the bytes arrive: byte by byte, or in two reads split anywhere (a bare CR is no line end in any of them).
        Assert.Equal(ReplyStatus.Error, Parse(response, 1).Status);
        for (int at = 1; at < response.Length; at++)
        {
            Assert.True(ParseInTwo(response, at, out _).Status == ReplyStatus.Error, $"split at {at}");
        }
    }

    [Theory]
    [InlineData("\n")]
    [InlineData("\r\n")]
    public void A_header_section_of_bare_LF_or_folded_lines_is_held_to_the_same_size_limit(string lineEnd)
    {
        // Many short lines, then one field folded on and on: neither may make the head longer than MaxHeadBytes.
        var lines = new StringBuilder("HTTP/1.1 200 OK").Append(lineEnd);
        while (lines.Length <= HttpResponseParser.MaxHeadBytes)
        {
            lines.Append("X-A: a").Append(lineEnd);
        }

        var folded = new StringBuilder("HTTP/1.1 200 OK").Append(lineEnd).Append("X-A: a");
        while (folded.Length <= HttpResponseParser.MaxHeadBytes)
        {
            folded.Append(lineEnd).Append(" more");
        }

        folded.Append(lineEnd);
        foreach (StringBuilder head in new[] { lines, folded })
        {
            string response = head.Append("Content-Length: 0").Append(lineEnd).Append(lineEnd).ToString();
            (ReplyStatus result, _, _, _) = Parse(response, 4096, out string? error);
            Assert.Equal(ReplyStatus.Error, result);
            Assert.Contains("KiB", error, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void A_header_section_that_never_ends_is_an_error_not_a_wait()
    {
        string endless = "HTTP/1.1 200 OK\r\n" + new string('x', HttpResponseParser.MaxHeadBytes + 10);
        (ReplyStatus result, _, _, _) = Parse(endless, int.MaxValue, out string? error);
        Assert.Equal(ReplyStatus.Error, result);
        Assert.Contains("KiB", error, StringComparison.Ordinal);
    }

    private static (ReplyStatus Status, int Code, bool CloseAfter, long Consumed) Parse(string response, int split) => Parse(response, split, out _);

    /// <summary>Feeds the response <paramref name="split"/> bytes at a time, as a connection's reads would, keeping the unconsumed rest.</summary>
    private static (ReplyStatus Status, int Code, bool CloseAfter, long Consumed) Parse(string response, int split, out string? error)
    {
        byte[] bytes = Encoding.ASCII.GetBytes(response);
        var parser = new HttpResponseParser();
        byte[]? scratch = null;
        long consumedTotal = 0;
        int arrived = 0;
        ReplyStatus status = ReplyStatus.NeedMore;
        while (arrived < bytes.Length)
        {
            arrived = (int)Math.Min(bytes.Length, (long)arrived + split);
            status = parser.Feed(Segmented(bytes.AsMemory((int)consumedTotal, arrived - (int)consumedTotal)), false, ref scratch, out long consumed);
            consumedTotal += consumed;
            if (status != ReplyStatus.NeedMore)
            {
                break;
            }
        }

        error = parser.Error;
        return (status, parser.StatusCode, parser.CloseAfter, consumedTotal);
    }

    /// <summary>Feeds the response in two reads, the first its <paramref name="at"/> first bytes, keeping the unconsumed rest.</summary>
    private static (ReplyStatus Status, int Code, bool CloseAfter, long Consumed) ParseInTwo(string response, int at, out string? error)
    {
        byte[] bytes = Encoding.ASCII.GetBytes(response);
        var parser = new HttpResponseParser();
        byte[]? scratch = null;
        ReplyStatus status = parser.Feed(Segmented(bytes.AsMemory(0, at)), false, ref scratch, out long consumed);
        if (status == ReplyStatus.NeedMore)
        {
            status = parser.Feed(Segmented(bytes.AsMemory((int)consumed)), false, ref scratch, out long more);
            consumed += more;
        }

        error = parser.Error;
        return (status, parser.StatusCode, parser.CloseAfter, consumed);
    }

    /// <summary>The bytes as a sequence of three-byte segments, so every search crosses segment boundaries.</summary>
    private static ReadOnlySequence<byte> Segmented(ReadOnlyMemory<byte> bytes)
    {
        if (bytes.Length <= 3)
        {
            return new ReadOnlySequence<byte>(bytes);
        }

        var chunks = new List<ReadOnlyMemory<byte>>();
        for (int at = 0; at < bytes.Length; at += 3)
        {
            chunks.Add(bytes[at..Math.Min(bytes.Length, at + 3)]);
        }

        return ChunkedSequence.Of(chunks);
    }
}
