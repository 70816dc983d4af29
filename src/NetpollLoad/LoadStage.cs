namespace Netpoll.Load;

/// <summary>
/// One stage of a ramping fixed-rate test (k6's ramping arrival rate): over <see cref="Duration"/>, the rate
/// moves in a straight line from where the previous stage ended (or <see cref="LoadOptions.Rate"/> for the
/// first) to <see cref="Rate"/> requests per second. A stage whose rate equals the previous one holds it.
/// </summary>
/// <param name="Duration">How long the stage lasts.</param>
/// <param name="Rate">Requests per second at the end of the stage.</param>
public sealed record LoadStage(TimeSpan Duration, double Rate)
{
    /// <summary>"30 s to 1000/s".</summary>
    public override string ToString() =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{Duration.TotalSeconds:0.###} s to {Rate:0.###}/s");
}
