using System.Buffers;
using System.Diagnostics;
using Netpoll.Buffers;
using Xunit.Abstractions;

namespace Netpoll.Tests.Buffers;

/// <summary>
/// One writer thread and one reader thread, the pairing LinkBuffer supports, move 1 GiB through one buffer.
/// Every byte is checked against a deterministic pattern, and every view against it again just before the Release
/// that ends its life. The reader releases whenever it has drained the buffer, so the drained-buffer give-back
/// (TryGiveBackTail) races the writer's next write all the time.
/// </summary>
public class LinkBufferConcurrencyTests(ITestOutputHelper output)
{
    private const long TotalBytes = 1L << 30;
    private const int MaxChunk = 256 * 1024;
    // Liveness, not speed: a stuck reader or writer makes no progress at all, while a machine shared with other work
    // only makes slow progress (one loaded CI run moved 315 MB in 2 minutes). The overall limit only bounds CI.
    private static readonly TimeSpan StallLimit = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan TimeLimit = TimeSpan.FromMinutes(10);

    [Theory]
    [InlineData(64, 512, 256)]          // tiny blocks and messages: a new node and a give-back race nearly every message
    [InlineData(4096, 64 * 1024, 16)]   // default blocks, messages up to 64 KiB, more linked caller memory
    public void A_writer_and_a_reader_thread_move_1_GiB_intact_through_one_buffer(int blockSize, int typicalMessage, int oneLargeIn)
    {
        using var pool = new BufferPool(new BufferPoolOptions { PoisonOnReturn = true, TrimInterval = TimeSpan.Zero });
        var buffer = new LinkBuffer(pool, blockSize);
        var run = new Run(buffer, blockSize, typicalMessage, oneLargeIn);

        var writer = new Thread(run.Write) { IsBackground = true, Name = "LinkBuffer writer" };
        var reader = new Thread(run.Read) { IsBackground = true, Name = "LinkBuffer reader" };
        var clock = Stopwatch.StartNew();
        writer.Start();
        reader.Start();
        string? stuck = WaitWhileProgressing(writer, reader, run, clock);
        if (stuck is not null)
        {
            run.Stop();
            writer.Join(TimeSpan.FromSeconds(5));
            reader.Join(TimeSpan.FromSeconds(5));
            Assert.Fail($"{stuck}: written {run.Written:N0} B, read {run.ReadBytes:N0} B of {TotalBytes:N0}, Length {buffer.Length:N0}. A reader that never sees flushed bytes or a writer stuck in EnterWriting would look like this.");
        }

        if (run.Failure is { } failure)
        {
            throw new InvalidOperationException($"Failed after {clock.Elapsed.TotalSeconds:N1} s ({run.ReadBytes:N0} B read): {failure.Message}", failure);
        }

        Assert.Equal(TotalBytes, run.ReadBytes);
        Assert.Equal(0, buffer.Length);
        buffer.Release();
        Assert.False(buffer.HoldsMemory, "The drained buffer still holds memory once both threads are done.");
        Assert.False(buffer.HoldsNode, "The drained buffer still holds a node once both threads are done.");
        buffer.Dispose();
        Assert.Equal(run.CallerMemoryWrites, run.HookRuns);
        Assert.Equal(0, pool.GetStatistics().RentedBlocks);
        output.WriteLine(
            $"block {blockSize} B: 1 GiB in {clock.Elapsed.TotalSeconds:N2} s, {run.Flushes:N0} flushes, {run.Releases:N0} releases " +
            $"({run.DrainedReleases:N0} with the buffer drained), {run.CallerMemoryWrites:N0} linked caller writes.");
    }

    /// <summary>Waits for both threads; null when they finished, else why the wait gave up.</summary>
    private static string? WaitWhileProgressing(Thread writer, Thread reader, Run run, Stopwatch clock)
    {
        long lastProgress = -1;
        var sinceProgress = Stopwatch.StartNew();
        while (writer.IsAlive || reader.IsAlive)
        {
            (writer.IsAlive ? writer : reader).Join(TimeSpan.FromSeconds(1));
            long progress = run.Written + run.ReadBytes;
            if (progress != lastProgress)
            {
                lastProgress = progress;
                sinceProgress.Restart();
            }
            else if (sinceProgress.Elapsed > StallLimit)
            {
                return $"No byte moved for {StallLimit.TotalSeconds:N0} s";
            }

            if (clock.Elapsed > TimeLimit)
            {
                return $"Not done after {TimeLimit.TotalMinutes:N0} minutes";
            }
        }

        return null;
    }

    /// <summary>The two threads' shared state. Only the writer thread writes, only the reader thread reads.</summary>
    private sealed class Run(LinkBuffer buffer, int blockSize, int typicalMessage, int oneLargeIn)
    {
        // Byte i of the stream is Pattern[i % Period]. A prime period larger than any block or message means a byte
        // from the wrong place (a skipped, repeated or freed node) cannot match by accident of alignment.
        private const int Period = 1_048_573;
        private static readonly byte[] Pattern = CreatePattern();

        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private volatile bool _stop;
        private long _written;
        private long _read;
        private int _hookRuns;

        public Exception? Failure { get; private set; }

        public long Written => Volatile.Read(ref _written);

        public long ReadBytes => Volatile.Read(ref _read);

        public int HookRuns => Volatile.Read(ref _hookRuns);

        public int CallerMemoryWrites { get; private set; }

        public long Flushes { get; private set; }

        public long Releases { get; private set; }

        public long DrainedReleases { get; private set; }

        public void Stop() => _stop = true;

        public void Write()
        {
            try
            {
                var random = new Random(12345);
                long position = 0;
                while (position < TotalBytes && !_stop)
                {
                    // Backpressure a few messages deep, so the reader often drains the buffer while the writer is busy.
                    var spinner = default(SpinWait);
                    while (buffer.Length > 16 * typicalMessage)
                    {
                        WaitABit(ref spinner);
                    }

                    int n = (int)Math.Min(MessageSize(random), TotalBytes - position);
                    WriteMessage(random, position, n);
                    buffer.Flush();
                    Flushes++;
                    position += n;
                    Volatile.Write(ref _written, position);
                }
            }
            catch (Exception e)
            {
                Fail(e);
            }
        }

        public void Read()
        {
            try
            {
                var random = new Random(54321);
                var views = new List<(ReadOnlyMemory<byte> View, long Position)>();
                long position = 0;
                var idle = default(SpinWait);
                while (position < TotalBytes && !_stop)
                {
                    int available = buffer.Length;
                    if (available == 0)
                    {
                        WaitABit(ref idle);
                        continue;
                    }

                    idle = default;

                    // Often take everything there is, so the reader keeps catching up with the writer.
                    int n = random.Next(2) == 0
                        ? Math.Min(available, MaxChunk)
                        : Math.Min(available, 1 + random.Next(Math.Min(MaxChunk, typicalMessage * 2)));

                    // GetReadableSequence walks every readable node; keep it to short buffers so the run stays linear.
                    int kind = random.Next(4);
                    if (kind == 3 && available > 64 * blockSize)
                    {
                        kind = 2;
                    }

                    switch (kind)
                    {
                        case 0:
                        case 1:
                        {
                            ReadOnlyMemory<byte> view = buffer.Next(n);
                            Check(view.Span, position, "Next");
                            views.Add((view, position));
                            break;
                        }

                        case 2:
                            Check(buffer.Peek(n).Span, position, "Peek");
                            buffer.Skip(n);
                            break;

                        default:
                            CheckSequence(buffer.GetReadableSequence().Slice(0, n), position);
                            buffer.Skip(n);
                            break;
                    }

                    position += n;
                    Volatile.Write(ref _read, position);

                    // Release often, and always once drained: then the buffer tries to give its tail block back
                    // while the writer may be about to write into it.
                    bool drained = buffer.Length == 0;
                    if (drained || random.Next(8) == 0)
                    {
                        foreach ((ReadOnlyMemory<byte> view, long at) in views)
                        {
                            Check(view.Span, at, "a view kept until Release");
                        }

                        views.Clear();
                        buffer.Release();
                        Releases++;
                        DrainedReleases += drained ? 1 : 0;
                    }
                }
            }
            catch (Exception e)
            {
                Fail(e);
            }
        }

        private int MessageSize(Random random) => random.Next(oneLargeIn) switch
        {
            0 => random.Next(LinkBuffer.LinkThreshold, MaxChunk + 1),
            1 => 1,
            _ => 1 + random.Next(typicalMessage),
        };

        private void WriteMessage(Random random, long position, int n)
        {
            ReadOnlySpan<byte> source = Source(position, n);
            switch (random.Next(5))
            {
                case 0:
                    buffer.WriteBinary(source);
                    break;

                case 1:
                    source.CopyTo(buffer.Malloc(n).Span);
                    break;

                case 2:
                    // IBufferWriter style: whatever span the buffer offers, possibly several.
                    while (!source.IsEmpty)
                    {
                        Span<byte> span = buffer.GetSpan(random.Next(Math.Min(source.Length, 256) + 1));
                        int take = Math.Min(span.Length, source.Length);
                        source[..take].CopyTo(span);
                        buffer.Advance(take);
                        source = source[take..];
                    }

                    break;

                case 3:
                    // Caller memory: linked without copying at LinkThreshold and above, copied below.
                    buffer.WriteBinary(Pattern.AsMemory((int)(position % Period), n), _ => Interlocked.Increment(ref _hookRuns));
                    CallerMemoryWrites++;
                    break;

                default:
                    // Several small writes before one Flush.
                    int first = n / 2;
                    buffer.WriteBinary(source[..first]);
                    if (n - first > 0)
                    {
                        buffer.WriteByte(source[first]);
                        buffer.WriteBinary(source[(first + 1)..]);
                    }

                    break;
            }
        }

        private static ReadOnlySpan<byte> Source(long position, int n) => Pattern.AsSpan((int)(position % Period), n);

        private static void Check(ReadOnlySpan<byte> actual, long position, string what)
        {
            ReadOnlySpan<byte> expected = Source(position, actual.Length);
            if (!actual.SequenceEqual(expected))
            {
                int i = actual.CommonPrefixLength(expected);
                throw new InvalidOperationException(
                    $"{what}: byte {position + i:N0} of the stream (index {i} of a {actual.Length}-byte read) is 0x{actual[i]:X2}, expected 0x{expected[i]:X2}.");
            }
        }

        private static void CheckSequence(ReadOnlySequence<byte> sequence, long position)
        {
            foreach (ReadOnlyMemory<byte> segment in sequence)
            {
                Check(segment.Span, position, "GetReadableSequence");
                position += segment.Length;
            }
        }

        private void WaitABit(ref SpinWait spinner)
        {
            if (_stop || _clock.Elapsed > TimeLimit)
            {
                throw new OperationCanceledException("Stopped: the other thread failed or time ran out.");
            }

            spinner.SpinOnce(sleep1Threshold: -1); // spin, then yield; never sleep a whole millisecond
        }

        private void Fail(Exception e)
        {
            if (e is not OperationCanceledException)
            {
                Failure ??= e;
            }

            _stop = true;
        }

        private static byte[] CreatePattern()
        {
            var pattern = new byte[Period + MaxChunk];
            new Random(2024).NextBytes(pattern.AsSpan(0, Period));
            pattern.AsSpan(0, MaxChunk).CopyTo(pattern.AsSpan(Period));
            return pattern;
        }
    }
}
