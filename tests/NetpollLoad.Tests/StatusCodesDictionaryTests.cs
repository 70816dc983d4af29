using System.Collections;

namespace Netpoll.Load.Tests;

/// <summary>
/// What PowerShell sees of a result's status codes: a dictionary keyed by the code's text ("200"), since ConvertTo-Json
/// refuses any other key (NonStringKeyInDictionary: `$r | ConvertTo-Json` threw) and CliXml carries those keys to the
/// other side; C# keeps its int keys, and the indexer takes either.
/// </summary>
public sealed class StatusCodesDictionaryTests
{
    private static readonly LoadStatusCodes Codes = new([new(503, 50), new(200, 900), new(200, 50)]);

    [Fact]
    public void The_dictionary_view_is_keyed_by_the_code_s_text_in_code_order()
    {
        var view = (IDictionary)Codes;

        Assert.Equal(["200", "503"], view.Keys.Cast<object>());
        Assert.Equal([950L, 50L], view.Values.Cast<object>());
        var entries = new List<(object Key, object? Value)>();
        IDictionaryEnumerator entry = view.GetEnumerator(); // what ConvertTo-Json and the CliXml serializer walk
        while (entry.MoveNext())
        {
            entries.Add((entry.Key, entry.Value));
        }

        Assert.Equal([("200", (object?)950L), ("503", 50L)], entries);
        var copied = new DictionaryEntry[2];
        view.CopyTo(copied, 0);
        Assert.Equal("503", copied[1].Key);
    }

    [Fact]
    public void The_dictionary_view_takes_a_code_as_a_number_or_as_text()
    {
        var view = (IDictionary)Codes;

        Assert.Equal(950L, view[200]);
        Assert.Equal(950L, view["200"]);
        Assert.Equal(0L, view["404"]); // a code that never came counts 0, as StatusCodes[404] does
        Assert.Null(view["OK"]);
        Assert.True(view.Contains("503"));
        Assert.True(view.Contains(503));
        Assert.False(view.Contains("404"));
        Assert.Throws<NotSupportedException>(() => view.Add("404", 1L));
    }

    [Fact]
    public void C_sharp_keeps_int_keys()
    {
        Assert.Equal([200, 503], Codes.Keys);
        Assert.Equal(950, Codes[200]);
        Assert.Equal("200=950, 503=50", Codes.ToString());
    }
}
