using CsCheck;
using Netpoll.Protocols;
using Xunit.Abstractions;

namespace Netpoll.Tests.Protocols;

/// <summary>
/// The request parser against the RFC 9112 grammar (<see cref="HttpRequestGrammar"/>): pipelines of
/// generated valid requests, optionally ended by one that breaks a single rule, each fed whole, cut at
/// every byte boundary (a sample of them for long inputs), one byte at a time and at random cuts.
/// However the bytes arrive, the session must answer every valid request by its route, in order,
/// answer the invalid one with the status its rule calls for and Connection: close, then stop —
/// within bounded steps and without throwing.
/// </summary>
/// <remarks>
/// A failure is shrunk by CsCheck and printed with its seed; replay with
/// <c>dotnet test tests/NetpollEngine.Tests --filter HttpParserPropertyTests -e CsCheck_Seed=&lt;seed&gt;</c>.
/// </remarks>
public class HttpParserPropertyTests(ITestOutputHelper output)
{
    private const int MaxSingleCuts = 400;

    private static readonly HttpRouteTable Routes = HttpTestRoutes.Create();

    [Fact]
    public void Valid_pipelines_are_answered_in_order_however_they_are_split()
    {
        long splits = 0;
        Gen.Select(HttpRequestGrammar.Valid(last: false).Array[0, 3], HttpRequestGrammar.Valid(last: true), Gen.Int[0, int.MaxValue])
            .Sample(
                (leading, last, cutSeed) => splits += Check([.. leading, last], cutSeed),
                writeLine: output.WriteLine,
                iter: 200,
                print: Describe);
        output.WriteLine($"{splits:N0} splittings checked");
    }

    [Fact]
    public void A_request_breaking_one_rule_ends_the_pipeline_with_its_status_however_it_is_split()
    {
        long splits = 0;
        var rules = new HashSet<string>();
        Gen.Select(HttpRequestGrammar.Valid(last: false).Array[0, 2], HttpRequestGrammar.Invalid, Gen.Int[0, int.MaxValue])
            .Sample(
                (leading, invalid, cutSeed) =>
                {
                    splits += Check([.. leading, invalid], cutSeed);
                    lock (rules)
                    {
                        rules.Add(invalid.Broken!);
                    }
                },
                writeLine: output.WriteLine,
                iter: 400,
                print: Describe);
        output.WriteLine($"{splits:N0} splittings checked; {rules.Count} rules broken: {string.Join("; ", rules.Order())}");
        Assert.True(rules.Count >= 25, $"only {rules.Count} of the rules were reached");
    }

    [Fact]
    public void Arbitrary_bytes_never_throw_or_hang_and_a_refusal_always_closes()
    {
        Gen.Select(Gen.Byte.Array[0, 400], Gen.OneOf(Gen.Byte.Array[0, 400], HttpRequestGrammar.Valid(true).Select(r => r.Render())), Gen.Int[0, int.MaxValue])
            .Sample(
                (noise, request, cutSeed) =>
                {
                    // Noise alone, and noise spliced into a valid request at a random point.
                    int at = request.Length == 0 ? 0 : cutSeed % request.Length;
                    foreach (byte[] input in new[] { noise, [.. request[..at], .. noise, .. request[at..]] })
                    {
                        foreach (int[] cuts in Splittings(input, cutSeed))
                        {
                            var harness = new HttpSessionHarness(Routes, HttpTestRoutes.SmallLimits).Feed(input, cuts);
                            List<HttpResponseReader.Response> responses = harness.Responses(guessHeadOnly: true);
                            int refusals = responses.Count(r => r.Status >= 400 && r.Closes);
                            Assert.True(refusals <= 1, "at most one refusal: the session stops after it");
                            if (responses.Count > 0 && responses[^1].Closes)
                            {
                                Assert.True(harness.Closed, "a response that says close is followed by a close");
                            }
                        }
                    }
                },
                writeLine: output.WriteLine,
                iter: 300);
    }

    /// <summary>Runs the pipeline through every splitting; returns how many.</summary>
    private static int Check(RequestModel[] pipeline, int cutSeed)
    {
        byte[] input = [.. pipeline.SelectMany(r => r.Render())];
        int count = 0;
        foreach (int[] cuts in Splittings(input, cutSeed))
        {
            var harness = new HttpSessionHarness(Routes, HttpTestRoutes.SmallLimits).Feed(input, cuts);
            Verify(harness, pipeline, cuts);
            count++;
        }

        return count;
    }

    private static IEnumerable<int[]> Splittings(byte[] input, int seed)
    {
        yield return [];
        int step = Math.Max(1, input.Length / MaxSingleCuts);
        for (int cut = 1; cut < input.Length; cut += step)
        {
            yield return [cut];
        }

        yield return [.. Enumerable.Range(1, Math.Max(0, input.Length - 1))];
        var random = new Random(seed);
        for (int i = 0; i < 4; i++)
        {
            yield return [.. Enumerable.Range(0, random.Next(1, 12)).Select(_ => random.Next(1, Math.Max(2, input.Length))).Order()];
        }
    }

    private static void Verify(HttpSessionHarness harness, RequestModel[] pipeline, int[] cuts)
    {
        string where = $"cut at [{string.Join(",", cuts.Take(20))}{(cuts.Length > 20 ? ",..." : "")}]";
        List<HttpResponseReader.Response> responses = [.. harness.Responses(i => i < pipeline.Length && pipeline[i].HeadOnly).Where(r => r.Status != 100)];
        Assert.True(responses.Count == pipeline.Length, $"{where}: {pipeline.Length} requests, {responses.Count} final responses ({string.Join(", ", responses.Select(r => r.Status))})");
        for (int i = 0; i < pipeline.Length; i++)
        {
            RequestModel request = pipeline[i];
            HttpResponseReader.Response response = responses[i];
            Assert.True(request.Status == response.Status, $"{where}: request {i} ({request.Broken ?? "valid"}) expected {request.Status}, got {response.Status}");
            if (request.ResponseBody is not null)
            {
                Assert.True(request.ResponseBody.AsSpan().SequenceEqual(response.Body), $"{where}: request {i} body differs ({request.ResponseBody.Length} expected, {response.Body.Length} got)");
            }

            Assert.True(request.Closes == response.Closes, $"{where}: request {i} should{(request.Closes ? "" : " not")} be answered with Connection: close");
        }

        RequestModel last = pipeline[^1];
        Assert.True(harness.Closed == last.Closes, $"{where}: the session should{(last.Closes ? "" : " not")} close");
        Assert.Equal(last.IsValid ? 0 : 1, harness.Counters.Rejected);
        if (!harness.Closed)
        {
            Assert.True(harness.UnconsumedBytes == 0, $"{where}: {harness.UnconsumedBytes} bytes of complete requests left unread");
        }
    }

    private static string Describe((RequestModel[] Leading, RequestModel Last, int CutSeed) sample) =>
        $"cut seed {sample.CutSeed}:{Environment.NewLine}  " + string.Join(Environment.NewLine + "  ", sample.Leading.Append(sample.Last));
}
