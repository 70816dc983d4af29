using CsCheck;
using Netpoll.Buffers;
using Xunit.Abstractions;

namespace Netpoll.Tests.Buffers;

/// <summary>
/// Random sequences of reader and writer operations on a <see cref="LinkBuffer"/>, checked step by step against
/// a plain byte queue (see <see cref="LinkBufferModelChecker"/>). Small block sizes make most operations cross nodes.
/// </summary>
/// <remarks>
/// A failure is shrunk by CsCheck to a short sequence and reported with its seed. To replay it exactly:
/// <c>dotnet test tests/NetpollEngine.Tests --filter LinkBufferModelTests -e CsCheck_Seed=&lt;seed&gt;</c>.
/// </remarks>
public class LinkBufferModelTests(ITestOutputHelper output)
{
    private const int Iterations = 500;
    private const int MinimumOperations = 100_000;

    [Fact]
    public void Random_operation_sequences_behave_like_a_byte_queue_and_leave_nothing_rented()
    {
        long applied = 0;
        long giveBacks = 0;
        var steps = new long[Enum.GetValues<LinkBufferOperationKind>().Length];
        Gen.Select(LinkBufferOperation.Gen.Array[50, 400], Gen.Int[64, 256], Gen.Bool)
            .Sample(
                (operations, blockSize, drainBeforeDispose) =>
                {
                    // Poisoning makes any read of released memory visible as 0xDD instead of stale, plausible bytes.
                    using var pool = new BufferPool(new BufferPoolOptions { PoisonOnReturn = true, TrimInterval = TimeSpan.Zero });
                    var checker = new LinkBufferModelChecker(pool, blockSize);
                    checker.Run(operations, drainBeforeDispose);
                    Interlocked.Add(ref applied, operations.Length);
                    Interlocked.Add(ref giveBacks, checker.GiveBackChecks);
                    for (int i = 0; i < steps.Length; i++)
                    {
                        Interlocked.Add(ref steps[i], checker.StepCounts[i]);
                    }
                },
                writeLine: output.WriteLine,
                iter: Iterations,
                print: t => $"block size {t.Item2}, drain before dispose {t.Item3}, {t.Item1.Length} operations:{Environment.NewLine}  "
                    + string.Join(Environment.NewLine + "  ", t.Item1));

        // Shows the interesting cases were reached, not just the easy ones.
        output.WriteLine($"{applied:N0} operations applied in {Iterations} sequences; {giveBacks:N0} drained Releases checked to give memory back.");
        output.WriteLine(string.Join(", ", Enum.GetValues<LinkBufferOperationKind>().Select(k => $"{k} {steps[(int)k]:N0}")));
        Assert.True(applied >= MinimumOperations, $"Only {applied} operations ran; the run is meant to cover at least {MinimumOperations}.");
    }
}
