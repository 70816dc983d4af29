using System.Text;

namespace Netpoll.Protocols;

/// <summary>
/// The body of an <see cref="HttpResponse"/>: text, bytes, a file's contents, or N filler bytes.
/// Immutable once made; large bodies are sent by linking their memory into the output, not by copying it.
/// </summary>
public sealed class HttpBody
{
    /// <summary>Largest body accepted (1 GiB): more would not fit one response's output buffer.</summary>
    public const long MaxLength = 1L << 30;

    private const int FillerBlockBytes = 64 * 1024;

    private readonly ReadOnlyMemory<byte> _bytes;   // the whole body, or one block repeated for filler
    private readonly bool _repeats;

    private HttpBody(ReadOnlyMemory<byte> bytes, long length, bool repeats, string defaultContentType, string description)
    {
        _bytes = bytes;
        Length = length;
        _repeats = repeats;
        DefaultContentType = defaultContentType;
        Description = description;
    }

    /// <summary>No body.</summary>
    public static HttpBody Empty { get; } = new(ReadOnlyMemory<byte>.Empty, 0, repeats: false, "", "empty");

    /// <summary>Bytes in the body.</summary>
    public long Length { get; }

    /// <summary>The Content-Type sent when the response names none (empty for an empty body).</summary>
    public string DefaultContentType { get; }

    /// <summary>What the body is made of, for display.</summary>
    public string Description { get; }

    /// <summary>The text as UTF-8, sent as text/plain unless the response says otherwise.</summary>
    public static HttpBody FromString(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        byte[] bytes = Encoding.UTF8.GetBytes(text);
        return bytes.Length == 0 ? Empty : new(bytes, bytes.Length, repeats: false, "text/plain; charset=utf-8", $"text, {bytes.Length} bytes");
    }

    /// <summary>A copy of <paramref name="bytes"/>, sent as application/octet-stream unless the response says otherwise.</summary>
    public static HttpBody FromBytes(byte[] bytes)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        CheckLength(bytes.Length, nameof(bytes));
        return bytes.Length == 0 ? Empty : new(bytes.AsSpan().ToArray(), bytes.Length, repeats: false, "application/octet-stream", $"{bytes.Length} bytes");
    }

    /// <summary>The file's contents, read now (later changes to the file are not seen).</summary>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    public static HttpBody FromFile(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var info = new FileInfo(path);
        if (!info.Exists)
        {
            throw new FileNotFoundException($"The response body file '{path}' does not exist.", path);
        }

        CheckLength(info.Length, nameof(path));
        byte[] bytes = File.ReadAllBytes(path);
        return bytes.Length == 0 ? Empty : new(bytes, bytes.Length, repeats: false, "application/octet-stream", $"file {info.Name}, {bytes.Length} bytes");
    }

    /// <summary><paramref name="length"/> bytes of <paramref name="fill"/> (default 'x'), for bandwidth and large-response tests; costs 64 KiB however long.</summary>
    public static HttpBody Filler(long length, byte fill = (byte)'x')
    {
        CheckLength(length, nameof(length));
        if (length == 0)
        {
            return Empty;
        }

        byte[] block = new byte[Math.Min(length, FillerBlockBytes)];
        block.AsSpan().Fill(fill);
        return new(block, length, repeats: true, "application/octet-stream", $"{length} filler bytes");
    }

    public override string ToString() => Description;

    /// <summary>Up to <paramref name="max"/> body bytes starting at <paramref name="offset"/>: memory to copy or link, never to change.</summary>
    internal ReadOnlyMemory<byte> Piece(long offset, int max)
    {
        if (_repeats)
        {
            return _bytes[..(int)Math.Min(Math.Min(max, Length - offset), _bytes.Length)];
        }

        return _bytes.Slice((int)offset, (int)Math.Min(max, Length - offset));
    }

    private static void CheckLength(long length, string name)
    {
        if (length < 0 || length > MaxLength)
        {
            throw new ArgumentOutOfRangeException(name, length, $"A response body must be between 0 and {MaxLength} bytes (1 GiB).");
        }
    }
}
