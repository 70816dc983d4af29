using System.Collections;

namespace Netpoll.Load;

/// <summary>
/// A load test's progress samples, one per progress interval, oldest first. A list that prints as
/// "12 samples over 6.0 s", so a CSV cell or a string shows what it holds instead of a type name.
/// </summary>
public sealed class LoadTimeline : IReadOnlyList<LoadProgress>
{
    public static readonly LoadTimeline Empty = new([]);

    private readonly LoadProgress[] _samples;

    public LoadTimeline(IEnumerable<LoadProgress> samples)
    {
        ArgumentNullException.ThrowIfNull(samples);
        _samples = [.. samples];
    }

    public int Count => _samples.Length;

    public LoadProgress this[int index] => _samples[index];

    public IEnumerator<LoadProgress> GetEnumerator() => ((IEnumerable<LoadProgress>)_samples).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => _samples.GetEnumerator();

    public override string ToString() =>
        Count == 0 ? "no samples" : string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{Count} samples over {_samples[^1].Elapsed.TotalSeconds:0.0} s");
}
