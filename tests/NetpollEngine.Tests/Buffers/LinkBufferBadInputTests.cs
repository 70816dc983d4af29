using Netpoll.Buffers;

namespace Netpoll.Tests.Buffers;

/// <summary>
/// Rejected calls: each throws an exception whose message names the operation and the sizes involved,
/// and leaves the buffer exactly as it was.
/// </summary>
public class LinkBufferBadInputTests
{
    private const int Readable = 100;
    private const int Unflushed = 3;

    public static TheoryData<string, int> ReadsWithBadSizes()
    {
        var data = new TheoryData<string, int>();
        foreach (string operation in ReadOperations.Keys)
        {
            foreach (int size in new[] { -1, int.MinValue, Readable + 1, int.MaxValue })
            {
                data.Add(operation, size);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(ReadsWithBadSizes))]
    public void A_read_with_a_negative_or_too_large_size_names_the_operation_and_sizes_and_changes_nothing(string operation, int size)
    {
        using var pool = NewPool();
        using LinkBuffer buffer = NewBufferWithContent(pool);

        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => ReadOperations[operation](buffer, size));

        string expected = size < 0
            ? $"LinkBuffer.{operation}: size must be zero or more, got {size}."
            : $"LinkBuffer.{operation}: asked for {size} bytes but only {Readable} are readable.";
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
        AssertUnchanged(buffer);
    }

    [Fact]
    public void ReadByte_on_an_empty_buffer_says_nothing_is_readable()
    {
        using var pool = NewPool();
        using var buffer = new LinkBuffer(pool, 64);

        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => buffer.ReadByte());

        Assert.Contains("LinkBuffer.ReadByte: asked for 1 bytes but only 0 are readable.", ex.Message, StringComparison.Ordinal);
        Assert.Equal(0, buffer.Length);
    }

    [Fact]
    public void Until_without_the_delimiter_names_it_and_the_readable_length_and_changes_nothing()
    {
        using var pool = NewPool();
        using LinkBuffer buffer = NewBufferWithContent(pool);

        var ex = Assert.Throws<InvalidOperationException>(() => buffer.Until(0xFF));

        Assert.Contains($"LinkBuffer.Until: delimiter 0xFF not found in the {Readable} readable bytes.", ex.Message, StringComparison.Ordinal);
        AssertUnchanged(buffer);
    }

    [Theory]
    [InlineData("Malloc", -1)]
    [InlineData("Malloc", int.MinValue)]
    [InlineData("GetSpan", -1)]
    [InlineData("GetMemory", -1)]
    public void A_negative_write_size_names_the_operation_and_size_and_changes_nothing(string operation, int size)
    {
        using var pool = NewPool();
        using LinkBuffer buffer = NewBufferWithContent(pool);

        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => WriteSizeOperations[operation](buffer, size));

        Assert.Contains($"LinkBuffer.{operation}: size must be zero or more, got {size}.", ex.Message, StringComparison.Ordinal);
        AssertUnchanged(buffer);
    }

    [Theory]
    [InlineData("Malloc")]
    [InlineData("GetSpan")]
    [InlineData("GetMemory")]
    public void A_write_past_the_2_GiB_a_buffer_holds_is_rejected_before_allocating(string operation)
    {
        using var pool = NewPool();
        using LinkBuffer buffer = NewBufferWithContent(pool);
        long allocatedBefore = pool.GetStatistics().AllocatedBlocks;

        var ex = Assert.Throws<InvalidOperationException>(() => WriteSizeOperations[operation](buffer, int.MaxValue));

        Assert.Contains(
            $"LinkBuffer.{operation}: {int.MaxValue} more bytes would pass the {int.MaxValue} bytes a LinkBuffer can hold ({Readable} readable, {Unflushed} unflushed).",
            ex.Message,
            StringComparison.Ordinal);
        Assert.Equal(allocatedBefore, pool.GetStatistics().AllocatedBlocks);
        AssertUnchanged(buffer);
    }

    [Theory]
    [InlineData("Malloc")]
    [InlineData("GetSpan")]
    [InlineData("GetMemory")]
    public void A_contiguous_size_larger_than_any_array_is_rejected_before_allocating(string operation)
    {
        using var pool = NewPool();
        using var buffer = new LinkBuffer(pool, 64);

        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => WriteSizeOperations[operation](buffer, int.MaxValue));

        Assert.Contains($"LinkBuffer.{operation}: {int.MaxValue} contiguous bytes is more than the largest possible block ({Array.MaxLength}).", ex.Message, StringComparison.Ordinal);
        Assert.Equal(0, pool.GetStatistics().AllocatedBlocks);
        Assert.Equal(0, buffer.MallocLength);
    }

    [Fact]
    public void Linking_caller_memory_past_2_GiB_is_rejected_before_the_length_overflows()
    {
        using var pool = NewPool();
        using var buffer = new LinkBuffer(pool, 64);

        // 1 MiB of caller memory linked (not copied) again and again costs nodes, not memory.
        var chunk = new ReadOnlyMemory<byte>(new byte[1024 * 1024]);
        int fits = int.MaxValue / chunk.Length;
        for (int i = 0; i < fits; i++)
        {
            buffer.WriteBinary(chunk, onRelease: null);
            if (i % 512 == 0)
            {
                buffer.Flush(); // part readable, part unflushed: the bound counts both
            }
        }

        long before = (long)buffer.Length + buffer.MallocLength;
        int hookRuns = 0;
        var ex = Assert.Throws<InvalidOperationException>(() => buffer.WriteBinary(chunk, _ => hookRuns++));

        Assert.Contains($"LinkBuffer.WriteBinary: {chunk.Length} more bytes would pass the {int.MaxValue} bytes a LinkBuffer can hold", ex.Message, StringComparison.Ordinal);
        Assert.Equal(before, (long)buffer.Length + buffer.MallocLength);
        Assert.Equal(0, hookRuns); // rejected: the caller still owns its memory
        buffer.Flush();
        Assert.Equal(before, buffer.Length);
    }

    [Fact]
    public void Advance_past_the_span_it_was_given_names_the_count_and_the_room_and_changes_nothing()
    {
        using var pool = NewPool();
        using LinkBuffer buffer = NewBufferWithContent(pool);
        int room = buffer.GetSpan(1).Length;

        var tooFar = Assert.Throws<ArgumentOutOfRangeException>(() => buffer.Advance(room + 1));
        var negative = Assert.Throws<ArgumentOutOfRangeException>(() => buffer.Advance(-1));

        Assert.Contains($"LinkBuffer.Advance: count must be between 0 and the {room} bytes", tooFar.Message, StringComparison.Ordinal);
        Assert.Contains($"Actual value was {room + 1}.", tooFar.Message, StringComparison.Ordinal);
        Assert.Contains("Actual value was -1.", negative.Message, StringComparison.Ordinal);
        AssertUnchanged(buffer);
    }

    [Fact]
    public void Appending_a_buffer_to_itself_or_null_is_rejected_and_changes_nothing()
    {
        using var pool = NewPool();
        using LinkBuffer buffer = NewBufferWithContent(pool);

        var self = Assert.Throws<ArgumentException>(() => buffer.Append(buffer));
        Assert.Throws<ArgumentNullException>(() => buffer.Append(null!));
        Assert.Throws<ArgumentNullException>(() => buffer.WriteString(null!));

        Assert.Contains("LinkBuffer.Append: a buffer cannot be appended to itself.", self.Message, StringComparison.Ordinal);
        AssertUnchanged(buffer);
    }

    [Theory]
    [InlineData(63)]
    [InlineData(SizeClassesMaxBlockSize + 1)]
    public void A_block_size_outside_the_pooled_range_is_rejected_with_the_bound(int blockSize)
    {
        using var pool = NewPool();

        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new LinkBuffer(pool, blockSize));

        Assert.Equal("blockSize", ex.ParamName);
        Assert.Contains(blockSize < 64 ? "'64'" : $"'{SizeClassesMaxBlockSize}'", ex.Message, StringComparison.Ordinal);
    }

    public static TheoryData<string> AllOperations() => [.. UseAfterDisposeOperations.Keys];

    [Theory]
    [MemberData(nameof(AllOperations))]
    public void Every_operation_after_Dispose_throws_ObjectDisposedException_naming_the_operation(string operation)
    {
        using var pool = NewPool();
        LinkBuffer buffer = NewBufferWithContent(pool);
        buffer.Dispose();
        buffer.Dispose(); // a second Dispose is harmless

        var ex = Assert.Throws<ObjectDisposedException>(() => UseAfterDisposeOperations[operation](buffer));

        Assert.Contains($"LinkBuffer.{operation}:", ex.Message, StringComparison.Ordinal);
        Assert.Equal(0, pool.GetStatistics().RentedBlocks);
    }

    [Fact]
    public void Caller_memory_offered_to_a_disposed_buffer_stays_with_the_caller()
    {
        using var pool = NewPool();
        var buffer = new LinkBuffer(pool, 64);
        buffer.Dispose();
        int hookRuns = 0;

        Assert.Throws<ObjectDisposedException>(() => buffer.WriteBinary(new byte[LinkBuffer.LinkThreshold], _ => hookRuns++));
        Assert.Throws<ObjectDisposedException>(() => buffer.WriteBinary(new byte[10], _ => hookRuns++));

        Assert.Equal(0, hookRuns);
    }

    [Fact]
    public void Appending_a_disposed_buffer_is_rejected()
    {
        using var pool = NewPool();
        using LinkBuffer buffer = NewBufferWithContent(pool);
        var disposed = new LinkBuffer(pool, 64);
        disposed.Dispose();

        var ex = Assert.Throws<ObjectDisposedException>(() => buffer.Append(disposed));

        Assert.Contains("LinkBuffer.Append:", ex.Message, StringComparison.Ordinal);
        AssertUnchanged(buffer);
    }

    // ------------------------------------------------------------------ helpers

    private const int SizeClassesMaxBlockSize = 1024 * 1024;

    private static readonly Dictionary<string, Action<LinkBuffer, int>> ReadOperations = new()
    {
        ["Next"] = (b, n) => b.Next(n),
        ["Peek"] = (b, n) => b.Peek(n),
        ["Skip"] = (b, n) => b.Skip(n),
        ["ReadBinary"] = (b, n) => b.ReadBinary(n),
        ["ReadString"] = (b, n) => b.ReadString(n),
        ["Slice"] = (b, n) => b.Slice(n).Dispose(),
    };

    private static readonly Dictionary<string, Action<LinkBuffer, int>> WriteSizeOperations = new()
    {
        ["Malloc"] = (b, n) => b.Malloc(n),
        ["GetSpan"] = (b, n) => b.GetSpan(n),
        ["GetMemory"] = (b, n) => b.GetMemory(n),
    };

    private static readonly Dictionary<string, Action<LinkBuffer>> UseAfterDisposeOperations = new()
    {
        ["Next"] = b => b.Next(1),
        ["Peek"] = b => b.Peek(1),
        ["Skip"] = b => b.Skip(1),
        ["ReadByte"] = b => b.ReadByte(),
        ["IndexOf"] = b => b.IndexOf(1),
        ["Until"] = b => b.Until(1),
        ["ReadString"] = b => b.ReadString(1),
        ["ReadBinary"] = b => b.ReadBinary(1),
        ["Read"] = b => b.Read(new byte[1]),
        ["Slice"] = b => b.Slice(1),
        ["Release"] = b => b.Release(),
        ["GetReadableSequence"] = b => b.GetReadableSequence(),
        ["Malloc"] = b => b.Malloc(1),
        ["GetMemory"] = b => b.GetMemory(1),
        ["GetSpan"] = b => b.GetSpan(1),
        ["Advance"] = b => b.Advance(0),
        ["WriteBinary"] = b => b.WriteBinary(new byte[1]),
        ["WriteString"] = b => b.WriteString("x"),
        ["WriteByte"] = b => b.WriteByte(1),
        ["Append"] = b =>
        {
            using var other = new LinkBuffer(b.Pool, 64);
            b.Append(other);
        },
        ["Flush"] = b => b.Flush(),
    };

    private static BufferPool NewPool() => new(new BufferPoolOptions { TrimInterval = TimeSpan.Zero });

    private static byte[] Content { get; } = Enumerable.Range(0, Readable + Unflushed).Select(i => (byte)(i % 251)).ToArray();

    /// <summary>100 readable bytes over two 64-byte blocks, and 3 written but not flushed.</summary>
    private static LinkBuffer NewBufferWithContent(BufferPool pool)
    {
        var buffer = new LinkBuffer(pool, 64);
        buffer.WriteBinary(Content.AsSpan(0, 64));
        buffer.WriteBinary(Content.AsSpan(64, Readable - 64));
        buffer.Flush();
        buffer.WriteBinary(Content.AsSpan(Readable));
        return buffer;
    }

    private static void AssertUnchanged(LinkBuffer buffer)
    {
        Assert.Equal(Readable, buffer.Length);
        Assert.Equal(Unflushed, buffer.MallocLength);
        buffer.Flush();
        Assert.Equal(Content, buffer.ReadBinary(buffer.Length));
    }
}
