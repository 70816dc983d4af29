using System.Globalization;
using System.Text;
using HdrHistogram;

namespace Netpoll.Load;

/// <summary>
/// Writes HdrHistogram's interval log (format 1.3, the .hlog that HistogramLogProcessor, HdrHistogram's
/// plotters and HistogramLogReader read): a header, then one line per interval with its start, length, max
/// (in ms, values being ns) and compressed histogram. Corrected latency lines are untagged, so tools read
/// them by default; service time lines are tagged "service-time". ASCII, because the package's own
/// HistogramLogWriter writes UTF-16, which the other languages' readers do not take.
/// </summary>
internal sealed class HistogramLogFile : IDisposable
{
    public const string ServiceTimeTag = "service-time";

    private readonly StreamWriter _writer;

    /// <exception cref="IOException">The file cannot be created.</exception>
    /// <exception cref="UnauthorizedAccessException">The file cannot be created.</exception>
    public HistogramLogFile(string path, DateTimeOffset start)
    {
        _writer = new StreamWriter(path, append: false, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false)) { NewLine = "\n" };
        double seconds = start.ToUnixTimeMilliseconds() / 1000.0;
        _writer.WriteLine("#[Histogram log format version 1.3]");
        _writer.WriteLine(string.Create(CultureInfo.InvariantCulture, $"#[StartTime: {seconds:F3} (seconds since epoch), {start.UtcDateTime:o}]"));
        _writer.WriteLine("#[Written by Netpoll.Load: latency in nanoseconds from each request's intended send time; Tag=service-time: from its actual send]");
        _writer.WriteLine("\"StartTimestamp\",\"Interval_Length\",\"Interval_Max\",\"Interval_Compressed_Histogram\"");
        _writer.Flush();
    }

    /// <summary>Appends one interval (absolute start time, as the log's readers accept).</summary>
    public void Append(HistogramBase interval, DateTimeOffset start, TimeSpan length, string? tag = null)
    {
        string payload = HistogramCodec.Encode(interval);
        string prefix = tag is null ? "" : $"Tag={tag},";
        double max = interval.TotalCount == 0 ? 0 : interval.GetMaxValue() / 1e6;
        _writer.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{prefix}{start.ToUnixTimeMilliseconds() / 1000.0:F3},{length.TotalSeconds:F3},{max:F3},{payload}"));
        _writer.Flush();
    }

    public void Dispose() => _writer.Dispose();
}
