namespace Netpoll.Load.Tests;

public sealed class TargetFileTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("netpoll-targets-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void Vegetas_format_gives_methods_headers_and_body_files()
    {
        File.WriteAllText(Path.Combine(_folder, "body.json"), "{\"a\":1}");
        string file = Write("targets.txt", "# comment\nGET http://127.0.0.1:8080/a\nX-Id: 1\n\nPOST http://127.0.0.1:8080/b\nContent-Type: application/json\n@body.json\n");

        IReadOnlyList<LoadHttpRequest> requests = LoadTargetFile.Read(file);

        Assert.Equal(["GET", "POST"], requests.Select(r => r.Method));
        Assert.Equal("/a", requests[0].Uri.AbsolutePath);
        Assert.Equal(new KeyValuePair<string, string>("X-Id", "1"), Assert.Single(requests[0].Headers));
        Assert.Equal("{\"a\":1}", System.Text.Encoding.UTF8.GetString(requests[1].Body.Span));
    }

    [Fact]
    public void A_csv_gives_weights_bodies_and_a_header_per_extra_column()
    {
        string file = Write("targets.csv", "Uri,Method,Weight,Body,X-Tenant\nhttp://127.0.0.1:8080/,GET,3,,acme\nhttp://127.0.0.1:8080/orders,POST,1,\"{\"\"id\"\":2}\",\n");

        IReadOnlyList<LoadHttpRequest> requests = LoadTargetFile.Read(file);

        Assert.Equal([3, 1], requests.Select(r => r.Weight));
        Assert.Equal(new KeyValuePair<string, string>("X-Tenant", "acme"), Assert.Single(requests[0].Headers));
        Assert.Empty(requests[1].Headers);
        Assert.Equal("{\"id\":2}", System.Text.Encoding.UTF8.GetString(requests[1].Body.Span));
    }

    [Theory]
    [InlineData("t.txt", "FETCH\n", ":1")]
    [InlineData("t.txt", "X-Id: 1\n", ":1")]
    [InlineData("t.csv", "Method\nGET\n", "Uri")]
    [InlineData("t.txt", "# nothing\n", "no target")]
    public void A_file_that_is_not_targets_says_where_and_what_is_expected(string name, string text, string hint)
    {
        FormatException error = Assert.Throws<FormatException>(() => LoadTargetFile.Read(Write(name, text)));
        Assert.Contains(hint, error.Message, StringComparison.Ordinal);
    }

    private string Write(string name, string text)
    {
        string path = Path.Combine(_folder, name);
        File.WriteAllText(path, text);
        return path;
    }
}
