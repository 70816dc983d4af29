using System.Text;

namespace Netpoll.Tests.Protocols;

/// <summary>
/// A request as the grammar generator builds it — the parts, rendered to bytes only at the end — and
/// what the server must answer. The mutation helpers each change one thing and say what that breaks.
/// </summary>
internal sealed class RequestModel
{
    public string Method { get; set; } = "GET";

    public string Target { get; set; } = "/";

    public string Version { get; set; } = "HTTP/1.1";

    public string Separator { get; set; } = " ";

    public List<string> Fields { get; set; } = [];

    /// <summary>The body as framed on the wire (plain or chunked).</summary>
    public byte[] BodyWire { get; set; } = [];

    public int Leading { get; set; }

    public int Status { get; set; }

    /// <summary>The expected response body; null: not checked.</summary>
    public byte[]? ResponseBody { get; set; }

    public bool HeadOnly { get; set; }

    /// <summary>The server closes after answering (Connection: close, or a refusal).</summary>
    public bool Closes { get; set; }

    /// <summary>The rule a mutation broke; null for a valid request.</summary>
    public string? Broken { get; set; }

    public bool IsValid => Broken is null;

    public byte[] Render()
    {
        var head = new StringBuilder();
        for (int i = 0; i < Leading; i++)
        {
            head.Append("\r\n");
        }

        head.Append(Method).Append(Separator).Append(Target).Append(' ').Append(Version).Append("\r\n");
        foreach (string field in Fields)
        {
            head.Append(field).Append("\r\n");
        }

        head.Append("\r\n");
        return [.. Encoding.Latin1.GetBytes(head.ToString()), .. BodyWire];
    }

    public RequestModel Clone() => new()
    {
        Method = Method,
        Target = Target,
        Version = Version,
        Separator = Separator,
        Fields = [.. Fields],
        BodyWire = BodyWire,
        Leading = Leading,
        Status = Status,
        ResponseBody = ResponseBody,
        HeadOnly = HeadOnly,
        Closes = Closes,
        Broken = Broken,
    };

    public RequestModel Expect(int status, string rule)
    {
        Status = status;
        Broken = rule;
        Closes = true;
        ResponseBody = null;
        HeadOnly = false; // refusals always carry their body
        return this;
    }

    public RequestModel WithField(string line)
    {
        Fields.Add(line);
        return this;
    }

    public RequestModel WithField(string line, int status, string rule) => WithField(line).Expect(status, rule);

    public RequestModel Without(string name)
    {
        Fields.RemoveAll(f => f.StartsWith(name + ":", StringComparison.OrdinalIgnoreCase));
        return this;
    }

    public RequestModel With(string? method = null, string? target = null, string? version = null, string? requestLineSeparator = null)
    {
        Method = method ?? Method;
        Target = target ?? Target;
        Version = version ?? Version;
        Separator = requestLineSeparator ?? Separator;
        return this;
    }

    /// <summary>Appends <paramref name="c"/> to the target, where it cannot be valid.</summary>
    public RequestModel WithPathChar(char c) => With(target: Target + c);

    public RequestModel AsHttp11()
    {
        Version = "HTTP/1.1";
        if (!Fields.Any(f => f.StartsWith("host:", StringComparison.OrdinalIgnoreCase)))
        {
            Fields.Insert(0, "Host: example.com");
        }

        return this;
    }

    public RequestModel AsHttp10()
    {
        Version = "HTTP/1.0";
        return this;
    }

    /// <summary>Drops the body and every field about it.</summary>
    public RequestModel WithoutBody()
    {
        BodyWire = [];
        return Without("content-length").Without("transfer-encoding").Without("expect");
    }

    public RequestModel WithChunkedBody(string wire, int status, string rule)
    {
        AsHttp11().WithoutBody().WithField("Transfer-Encoding: chunked");
        BodyWire = Encoding.Latin1.GetBytes(wire);
        return Expect(status, rule);
    }

    public override string ToString() =>
        $"[{(IsValid ? "valid" : "breaks: " + Broken)} → {Status}{(Closes ? ", close" : "")}] " +
        Encoding.Latin1.GetString(Render()).Replace("\r", "\\r", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);
}
