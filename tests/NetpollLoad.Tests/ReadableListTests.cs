namespace Netpoll.Load.Tests;

/// <summary>
/// The lists a result carries print their items, whoever set them (the generator, Merge, a JSON or CliXml reader giving
/// an array), since Export-Csv writes a property's ToString: before, a cell read "&lt;&gt;z__ReadOnlyList`1[System.String]".
/// </summary>
public sealed class ReadableListTests
{
    [Fact]
    public void A_result_s_lists_print_their_items_however_they_were_set()
    {
        string[] failures = ["[::1]:8080: Refused (Connection refused (errno 111))", "127.0.0.1:8080: Refused (Connection refused (errno 111))"];
        LoadResult result = BlankResult.Of() with
        {
            AddressFailures = failures,
            Stages = new List<LoadStage> { new(TimeSpan.FromSeconds(30), 1000) },
            Thresholds = [new LoadThreshold { Metric = "ErrorRate", Operator = "<=", Limit = 0.01 }.Evaluate(BlankResult.Of())],
        };

        Assert.Equal("[::1]:8080: Refused (Connection refused (errno 111)); 127.0.0.1:8080: Refused (Connection refused (errno 111))", result.AddressFailures.ToString());
        Assert.Equal(failures, result.AddressFailures);
        Assert.Equal("30 s to 1000/s", result.Stages.ToString());
        Assert.Equal("ErrorRate <= 1%: not measured, failed", result.Thresholds.ToString());
        Assert.Equal("", BlankResult.Of().AddressFailures.ToString()); // an empty list is an empty CSV cell
    }

    [Fact]
    public void A_merged_result_s_nodes_print_their_tags()
    {
        LoadResult merged = LoadResult.Merge([BlankResult.Of() with { Tag = "east" }, BlankResult.Of() with { Tag = "west" }]);

        Assert.Equal("east; west", merged.Nodes.ToString());
    }

    [Fact]
    public void Error_details_print_their_messages()
    {
        LoadErrors errors = LoadErrors.From(
            new Dictionary<LoadErrorKind, long> { [LoadErrorKind.Other] = 2, [LoadErrorKind.BadResponse] = 1 },
            ["connect failed: Operation not permitted (errno 1)", "send failed: Message too long (errno 90)"],
            ["status line is not HTTP/1.x: 'SSH-2.0-OpenSSH_9.2'"]);

        Assert.Equal("connect failed: Operation not permitted (errno 1); send failed: Message too long (errno 90)", errors.OtherDetails.ToString());
        Assert.Equal("status line is not HTTP/1.x: 'SSH-2.0-OpenSSH_9.2'", errors.BadResponseDetails.ToString());
        Assert.Equal("", errors.TlsDetails.ToString());
        Assert.Equal("x", (errors with { TlsDetails = ["x"] }).TlsDetails.ToString());
    }
}
