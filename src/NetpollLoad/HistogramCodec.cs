using HdrHistogram;
using HdrHistogram.Utilities;

namespace Netpoll.Load;

/// <summary>
/// HdrHistogram's compressed encoding (V2, deflated) as base64: the form its interval logs use, short
/// enough to travel inside a result through CliXml, JSON and remoting, and decoded to merge results.
/// </summary>
internal static class HistogramCodec
{
    /// <summary>The encoding, or null when the histogram recorded nothing (a result with no latency carries none).</summary>
    public static string? EncodeRecorded(HistogramBase histogram) => histogram.TotalCount == 0 ? null : Encode(histogram);

    public static string Encode(HistogramBase histogram)
    {
        var buffer = ByteBuffer.Allocate(histogram.GetNeededByteBufferCapacity());
        int length = histogram.EncodeIntoCompressedByteBuffer(buffer);
        buffer.Position = 0;
        byte[] bytes = new byte[length];
        for (int i = 0; i < length; i++)
        {
            bytes[i] = buffer.Get();
        }

        return Convert.ToBase64String(bytes);
    }

    /// <exception cref="FormatException">Not base64 of a compressed histogram.</exception>
    public static HistogramBase Decode(string encoded)
    {
        try
        {
            return HistogramEncoding.DecodeFromCompressedByteBuffer(ByteBuffer.Allocate(Convert.FromBase64String(encoded)), 0);
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidDataException or IndexOutOfRangeException or InvalidOperationException)
        {
            throw new FormatException("The histogram is not HdrHistogram's compressed base64 encoding.", ex);
        }
    }
}
