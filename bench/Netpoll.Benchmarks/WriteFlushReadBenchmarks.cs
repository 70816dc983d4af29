using System.Buffers;
using System.IO.Pipelines;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Netpoll.Buffers;

namespace Netpoll.Benchmarks;

/// <summary>
/// One message through an in-memory buffer and out again: write n bytes, flush, read them back into a
/// destination, release. LinkBuffer's three read styles side by side with System.IO.Pipelines.Pipe (the baseline)
/// doing the same work on one thread.
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByParams)]
public class WriteFlushReadBenchmarks : IDisposable
{
    private byte[] _source = [];
    private byte[] _destination = [];
    private Pipe _pipe = null!;
    private BufferPool _pool = null!;
    private LinkBuffer _buffer = null!;

    [Params(64, 4 * 1024, 256 * 1024)]
    public int MessageSize { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _source = new byte[MessageSize];
        new Random(42).NextBytes(_source);
        _destination = new byte[MessageSize];

        // No writer pause (one thread plays both sides) and inline schedulers: nothing but the buffering is measured.
        _pipe = new Pipe(new PipeOptions(
            readerScheduler: PipeScheduler.Inline,
            writerScheduler: PipeScheduler.Inline,
            pauseWriterThreshold: 0,
            resumeWriterThreshold: 0,
            useSynchronizationContext: false));

        // A pool of its own, as each server has; no trimming timer running during the measurement.
        _pool = new BufferPool(new BufferPoolOptions { TrimInterval = TimeSpan.Zero, PoisonOnReturn = false });
        _buffer = new LinkBuffer(_pool);

        // Each variant must really move the bytes: check once before measuring.
        foreach (Action variant in new Action[] { Pipe, Pipe_GetSpan, LinkBuffer_Next, LinkBuffer_Sequence, LinkBuffer_Read })
        {
            Array.Clear(_destination);
            variant();
            if (!_destination.AsSpan().SequenceEqual(_source) || _buffer.Length != 0)
            {
                throw new InvalidOperationException($"{variant.Method.Name} did not read back the {MessageSize} bytes it wrote.");
            }
        }
    }

    [GlobalCleanup]
    public void Cleanup() => Dispose();

    /// <summary>PipeWriter.Write + FlushAsync, TryRead, copy the sequence out, AdvanceTo the end.</summary>
    [Benchmark(Baseline = true)]
    public void Pipe()
    {
        PipeWriter writer = _pipe.Writer;
        writer.Write(_source);
        ValueTask<FlushResult> flush = writer.FlushAsync();
        if (!flush.IsCompletedSuccessfully)
        {
            throw new InvalidOperationException("FlushAsync did not complete synchronously.");
        }

        PipeReader reader = _pipe.Reader;
        if (!reader.TryRead(out ReadResult result))
        {
            throw new InvalidOperationException("Nothing to read.");
        }

        ReadOnlySequence<byte> buffer = result.Buffer;
        buffer.CopyTo(_destination);
        reader.AdvanceTo(buffer.End);
    }

    /// <summary>
    /// The same with one contiguous GetSpan(n) instead of Write: the Pipe then also keeps a message in one segment,
    /// as LinkBuffer.WriteBinary does. Shows how much of a difference at 256 KiB is only that.
    /// </summary>
    [Benchmark]
    public void Pipe_GetSpan()
    {
        PipeWriter writer = _pipe.Writer;
        _source.CopyTo(writer.GetSpan(MessageSize));
        writer.Advance(MessageSize);
        ValueTask<FlushResult> flush = writer.FlushAsync();
        if (!flush.IsCompletedSuccessfully)
        {
            throw new InvalidOperationException("FlushAsync did not complete synchronously.");
        }

        PipeReader reader = _pipe.Reader;
        if (!reader.TryRead(out ReadResult result))
        {
            throw new InvalidOperationException("Nothing to read.");
        }

        ReadOnlySequence<byte> buffer = result.Buffer;
        buffer.CopyTo(_destination);
        reader.AdvanceTo(buffer.End);
    }

    /// <summary>Next(n): one contiguous view (zero-copy in one node, assembled into a pooled block across nodes).</summary>
    [Benchmark]
    public void LinkBuffer_Next()
    {
        _buffer.WriteBinary(_source);
        _buffer.Flush();
        _buffer.Next(MessageSize).Span.CopyTo(_destination);
        _buffer.Release();
    }

    /// <summary>GetReadableSequence: zero-copy multi-segment view, like the Pipe's ReadResult.Buffer.</summary>
    [Benchmark]
    public void LinkBuffer_Sequence()
    {
        _buffer.WriteBinary(_source);
        _buffer.Flush();
        _buffer.GetReadableSequence().CopyTo(_destination);
        _buffer.Skip(MessageSize);
        _buffer.Release();
    }

    /// <summary>Read(span): copy straight out of the nodes.</summary>
    [Benchmark]
    public void LinkBuffer_Read()
    {
        _buffer.WriteBinary(_source);
        _buffer.Flush();
        _buffer.Read(_destination);
        _buffer.Release();
    }

    public void Dispose()
    {
        _buffer?.Dispose();
        _pool?.Dispose();
        _pipe?.Writer.Complete();
        _pipe?.Reader.Complete();
        GC.SuppressFinalize(this);
    }
}
