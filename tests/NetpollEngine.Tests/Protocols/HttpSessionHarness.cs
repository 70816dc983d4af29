using System.Buffers;
using Netpoll.Protocols;
using Netpoll.Tests.Support;

namespace Netpoll.Tests.Protocols;

/// <summary>
/// Drives an <see cref="HttpSession"/> the way a connection does, without sockets: bytes arrive in the
/// given pieces, each piece its own buffer segment (so heads, lines and chunks straddle segments), and
/// every step is bounded. Responses are collected as bytes and read back with <see cref="HttpResponseReader"/>.
/// </summary>
internal sealed class HttpSessionHarness
{
    private readonly HttpSession _session;
    private readonly ArrayBufferWriter<byte> _written = new();
    private readonly List<byte[]> _unconsumed = [];
    private int _firstOffset; // bytes of _unconsumed[0] already consumed

    public HttpSessionHarness(HttpRouteTable routes, HttpServerOptions? options = null, HttpServerCounters? counters = null)
    {
        Counters = counters ?? new HttpServerCounters();
        _session = new HttpSession(routes, options ?? new HttpServerOptions(), Counters, nowMs: 0);
    }

    public HttpServerCounters Counters { get; }

    /// <summary>The session said Connection: close (after a close response), or lingers after a refusal.</summary>
    public bool Closed { get; private set; }

    /// <summary>Process calls made; bounded by the pieces and responses, so a parser that loops shows here.</summary>
    public int Steps { get; private set; }

    public int UnconsumedBytes => _unconsumed.Sum(a => a.Length) - _firstOffset;

    public ReadOnlySpan<byte> Written => _written.WrittenSpan;

    public HttpSession Session => _session;

    /// <summary>Feeds <paramref name="input"/> cut at <paramref name="cuts"/> (ascending offsets), one piece at a time.</summary>
    public HttpSessionHarness Feed(byte[] input, IEnumerable<int> cuts)
    {
        int start = 0;
        foreach (int cut in cuts.Where(c => c > 0 && c < input.Length).Distinct().Order().Append(input.Length))
        {
            if (Closed)
            {
                break;
            }

            Arrive(input[start..cut]);
            start = cut;
        }

        return this;
    }

    public HttpSessionHarness Feed(byte[] input) => Feed(input, []);

    public HttpSessionHarness FeedByteByByte(byte[] input) => Feed(input, Enumerable.Range(1, Math.Max(0, input.Length - 1)));

    /// <summary>One read's worth of bytes arrives: process until the session needs more or closes.</summary>
    public void Arrive(byte[] piece)
    {
        if (piece.Length > 0)
        {
            _unconsumed.Add(piece);
        }

        var output = new TestOutput(_written);
        // Each round answers at least one request or consumes bytes; more rounds than bytes means a loop.
        for (int round = 0; ; round++)
        {
            Assert.True(round <= piece.Length + 64, $"the session went round {round} times on a {piece.Length}-byte piece without settling");
            Steps++;
            HttpStep step = _session.Process(Sequence(), output, nowMs: 0, out long consumed, out _);
            Consume(consumed);
            if (step == HttpStep.Pending)
            {
                ValueTask<HttpResponseTemplate> pending = _session.AwaitPendingAsync();
                HttpResponseTemplate template = pending.IsCompleted ? pending.Result : pending.AsTask().WaitAsync(TimeSpan.FromSeconds(10)).GetAwaiter().GetResult();
                if (_session.FinishPending(output, template) is HttpStep.Close or HttpStep.Linger)
                {
                    Closed = true;
                    return;
                }

                continue;
            }

            if (step is HttpStep.Close or HttpStep.Linger)
            {
                Closed = true; // lingering reads only to drop: nothing more is answered
            }

            return;
        }
    }

    public List<HttpResponseReader.Response> Responses(Func<int, bool>? headOnly = null, bool guessHeadOnly = false) =>
        HttpResponseReader.ReadAll(_written.WrittenSpan.ToArray(), headOnly, guessHeadOnly);

    private ReadOnlySequence<byte> Sequence() =>
        ChunkedSequence.Of(_unconsumed.Select((chunk, i) => (ReadOnlyMemory<byte>)chunk.AsMemory(i == 0 ? _firstOffset : 0)));

    private void Consume(long consumed)
    {
        while (consumed > 0)
        {
            int available = _unconsumed[0].Length - _firstOffset;
            if (consumed < available)
            {
                _firstOffset += (int)consumed;
                return;
            }

            consumed -= available;
            _unconsumed.RemoveAt(0);
            _firstOffset = 0;
        }
    }

    /// <summary>Collects responses; linked memory is copied like everything else.</summary>
    internal sealed class TestOutput(ArrayBufferWriter<byte> written) : IHttpOutput
    {
        public void Advance(int count) => written.Advance(count);

        public Memory<byte> GetMemory(int sizeHint = 0) => written.GetMemory(sizeHint);

        public Span<byte> GetSpan(int sizeHint = 0) => written.GetSpan(sizeHint);

        public void Link(ReadOnlyMemory<byte> memory) => written.Write(memory.Span);
    }
}
