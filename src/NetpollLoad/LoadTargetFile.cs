using System.Globalization;
using Microsoft.VisualBasic.FileIO;

namespace Netpoll.Load;

/// <summary>
/// Reads the requests of a load test from a file. Two forms:
/// <list type="bullet">
/// <item>vegeta's http format (any extension but .csv): a request line <c>METHOD URL</c>, then header lines
/// <c>Name: value</c>, then an optional <c>@path</c> line naming the body file (relative to the target file);
/// targets are separated by blank lines, and lines starting with # are comments.</item>
/// <item>CSV (.csv), with a header row: <c>Uri</c> (required), <c>Method</c> (GET), <c>Weight</c> (1),
/// <c>Body</c> (text) or <c>BodyFile</c> (a path relative to the file); every other column is a request
/// header named by the column (an empty cell sends no header).</item>
/// </list>
/// </summary>
public static class LoadTargetFile
{
    private static readonly string[] CsvColumns = ["Uri", "Method", "Weight", "Body", "BodyFile"];

    /// <exception cref="FormatException">A line or row that is not a target; the message names the file, the line and what is expected.</exception>
    /// <exception cref="IOException">The file or a body file cannot be read.</exception>
    public static IReadOnlyList<LoadHttpRequest> Read(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        string full = Path.GetFullPath(path);
        string folder = Path.GetDirectoryName(full) ?? ".";
        IReadOnlyList<LoadHttpRequest> requests = string.Equals(Path.GetExtension(full), ".csv", StringComparison.OrdinalIgnoreCase)
            ? ReadCsv(full, folder)
            : ReadHttpFormat(full, folder);
        if (requests.Count == 0)
        {
            throw new FormatException($"{path} holds no target: write lines such as 'GET http://host:port/path' (or a CSV with a Uri column).");
        }

        return requests;
    }

    private static List<LoadHttpRequest> ReadHttpFormat(string path, string folder)
    {
        var requests = new List<LoadHttpRequest>();
        LoadHttpRequest? current = null;
        List<KeyValuePair<string, string>> headers = [];
        int number = 0;
        foreach (string raw in File.ReadLines(path))
        {
            number++;
            string line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            string where = $"{path}:{number}";
            if (line.StartsWith('@'))
            {
                current = (current ?? throw new FormatException($"{where}: a body line (@file) comes after a request line (METHOD URL)."))
                    with { Body = File.ReadAllBytes(Path.Combine(folder, line[1..].Trim())) };
                continue;
            }

            int space = line.IndexOf(' ', StringComparison.Ordinal);
            int colon = line.IndexOf(':', StringComparison.Ordinal);
            bool requestLine = space > 0 && (colon < 0 || colon > space) && HttpToken.IsToken(line.AsSpan(0, space));
            if (requestLine)
            {
                Flush();
                string url = line[(space + 1)..].Trim();
                current = new LoadHttpRequest
                {
                    Method = line[..space],
                    Uri = Uri.TryCreate(url, UriKind.Absolute, out Uri? uri) ? uri : throw new FormatException($"{where}: '{url}' is not an absolute URL (http://host:port/path)."),
                };
                continue;
            }

            if (current is null || colon <= 0)
            {
                throw new FormatException($"{where}: '{line}' is neither a request line (METHOD URL), a header (Name: value) nor a body file (@path).");
            }

            headers.Add(new(line[..colon].Trim(), line[(colon + 1)..].Trim()));
        }

        Flush();
        return requests;

        void Flush()
        {
            if (current is not null)
            {
                requests.Add(current with { Headers = [.. headers] });
            }

            current = null;
            headers = [];
        }
    }

    private static List<LoadHttpRequest> ReadCsv(string path, string folder)
    {
        using var parser = new TextFieldParser(path) { TextFieldType = FieldType.Delimited, HasFieldsEnclosedInQuotes = true, TrimWhiteSpace = true };
        parser.SetDelimiters(",");
        string[] columns = parser.ReadFields() ?? throw new FormatException($"{path} is empty: its first row names the columns (Uri, Method, Weight, Body, BodyFile, and headers).");
        int Column(string name) => Array.FindIndex(columns, c => string.Equals(c, name, StringComparison.OrdinalIgnoreCase));
        int uriColumn = Column("Uri");
        if (uriColumn < 0)
        {
            throw new FormatException($"{path} has no Uri column; its columns are {string.Join(", ", columns)}.");
        }

        int[] headerColumns = [.. Enumerable.Range(0, columns.Length).Where(i => !CsvColumns.Contains(columns[i], StringComparer.OrdinalIgnoreCase))];
        var requests = new List<LoadHttpRequest>();
        while (!parser.EndOfData)
        {
            long number = parser.LineNumber;
            string[]? row;
            try
            {
                row = parser.ReadFields();
            }
            catch (MalformedLineException ex)
            {
                throw new FormatException($"{path}:{ex.LineNumber}: the row is not valid CSV (an unclosed quote?).", ex);
            }

            if (row is null || row.All(string.IsNullOrEmpty))
            {
                continue;
            }

            string where = $"{path}:{number}";
            string Cell(int index) => index >= 0 && index < row.Length ? row[index] : "";
            string url = Cell(uriColumn);
            string weight = Cell(Column("Weight"));
            string body = Cell(Column("Body"));
            string bodyFile = Cell(Column("BodyFile"));
            requests.Add(new LoadHttpRequest
            {
                Method = Cell(Column("Method")) is { Length: > 0 } method ? method : "GET",
                Uri = Uri.TryCreate(url, UriKind.Absolute, out Uri? uri) ? uri : throw new FormatException($"{where}: '{url}' is not an absolute URL (http://host:port/path)."),
                Weight = weight.Length == 0 ? 1
                    : int.TryParse(weight, NumberStyles.None, CultureInfo.InvariantCulture, out int w) ? w
                    : throw new FormatException($"{where}: weight '{weight}' is not a whole number."),
                Body = bodyFile.Length > 0 ? File.ReadAllBytes(Path.Combine(folder, bodyFile)) : System.Text.Encoding.UTF8.GetBytes(body),
                Headers = [.. headerColumns.Where(i => Cell(i).Length > 0).Select(i => new KeyValuePair<string, string>(columns[i], Cell(i)))],
            });
        }

        return requests;
    }
}
